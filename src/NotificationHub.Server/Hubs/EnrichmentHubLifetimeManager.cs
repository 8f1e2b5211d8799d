using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// SignalR's in-process lifetime manager (no Redis configured), plus <see cref="ConnectionSubscriptions.Attach"/>:
/// each connection gets its subscriptions in <see cref="HubConnectionContext.Items"/> before any hub method runs.
/// With Redis, <see cref="RedisEnrichmentHubLifetimeManager"/> does the same over the Redis backplane.
/// </summary>
internal sealed class EnrichmentHubLifetimeManager(ILogger<DefaultHubLifetimeManager<EnrichmentHub>> logger)
    : DefaultHubLifetimeManager<EnrichmentHub>(logger)
{
    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        ConnectionSubscriptions.Attach(connection);
        return base.OnConnectedAsync(connection);
    }
}
