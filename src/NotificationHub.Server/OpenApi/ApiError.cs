namespace NotificationHub.Server.OpenApi;

/// <summary>One problem+json answer an endpoint can give: its HTTP status and stable <c>code</c> (docs/protocol.md §6).</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Code">The problem's <c>code</c> extension.</param>
public sealed record ApiError(int Status, string Code);
