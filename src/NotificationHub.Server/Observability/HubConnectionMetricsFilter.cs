using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Server.Observability;

/// <summary>Counts open SignalR connections in <see cref="TransportMetrics.OpenConnections"/> (transport <c>signalr</c>).</summary>
public sealed class HubConnectionMetricsFilter(TransportMetrics metrics) : IHubFilter
{
    private static readonly KeyValuePair<string, object?> Tag = new(TransportMetrics.TransportTag, "signalr");

    /// <inheritdoc />
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        metrics.OpenConnections.Add(1, Tag);
    }

    /// <inheritdoc />
    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        metrics.OpenConnections.Add(-1, Tag);
        await next(context, exception);
    }
}
