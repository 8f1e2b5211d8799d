using Microsoft.AspNetCore.Http.HttpResults;

namespace NotificationHub.Server.Publishing;

/// <summary>What publishing one event came to: its id, or the problem the API answers for it.</summary>
/// <param name="EventId">The event id, when published.</param>
/// <param name="Problem">The refusal, when not.</param>
internal readonly record struct PublishOutcome(string? EventId, ProblemHttpResult? Problem);
