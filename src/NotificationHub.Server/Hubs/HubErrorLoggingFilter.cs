using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Logs the hub's real errors itself, so that SignalR's own error log of every failed invocation can be turned off.
/// </summary>
/// <remarks>
/// SignalR's <c>DefaultHubDispatcher</c> logs every exception a hub method throws at Error with its stack trace,
/// <see cref="HubException"/> included: a hub error is how the hub refuses a client (invalid id, unknown BOM, limit), so
/// a client pipelining refused calls wrote ~1.3 KB of error log each. That category is set to Critical
/// (<see cref="HubEndpoints.AddEnrichmentHub"/>); refusals are logged by the hub (Debug) and counted, and any other
/// exception is logged here, at Error with its stack, once.
/// </remarks>
internal sealed class HubErrorLoggingFilter(ILogger<EnrichmentHub> logger) : IHubFilter
{
    /// <summary>SignalR's category that logs failed invocations.</summary>
    public const string DispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    /// <inheritdoc />
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (Exception ex) when (ex is not HubException)
        {
            HubLog.InvocationFailed(logger, ex, invocationContext.HubMethodName, invocationContext.Context.ConnectionId);
            throw;
        }
    }
}
