using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// SignalR's Redis backplane for the enrichment hub (Redis configured), plus <see cref="ConnectionSubscriptions.Attach"/>
/// as in <see cref="EnrichmentHubLifetimeManager"/>. It carries <see cref="BomWatchers"/>' group sends between nodes,
/// over the bus's own <c>IConnectionMultiplexer</c> (<see cref="RedisOptions.ConnectionFactory"/>), never an event.
/// </summary>
/// <remarks>
/// The backplane subscribes Redis channels when a connection opens, joins or leaves a group, and closes; those calls
/// throw while Redis is gone or hung. None of them is worth failing a hub connection for (events come from the bus,
/// which has its own outage handling), so they are logged as one warning each (event 308) and swallowed. Dispose
/// does not call the base class's: that unsubscribes every channel of the shared connection (the bus's too) and
/// disposes the connection, which is the container's to dispose after the bus is done with it; Redis drops a closed
/// client's subscriptions itself. (The base's ack timer is then left to the process's end.)
/// </remarks>
internal sealed class RedisEnrichmentHubLifetimeManager(
    ILogger<RedisHubLifetimeManager<EnrichmentHub>> baseLogger,
    IOptions<RedisOptions> options,
    IHubProtocolResolver protocols,
    IOptions<HubOptions> globalHubOptions,
    IOptions<HubOptions<EnrichmentHub>> hubOptions,
    ILogger<RedisEnrichmentHubLifetimeManager> logger)
    : RedisHubLifetimeManager<EnrichmentHub>(baseLogger, options, protocols, globalHubOptions, hubOptions), IDisposable
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        ConnectionSubscriptions.Attach(connection);
        try
        {
            await base.OnConnectedAsync(connection);
        }
        catch (Exception ex) when (BomWatchers.IsRedisFailure(ex))
        {
            HubLog.BackplaneFailed(logger, "connect of " + connection.ConnectionId, ex.GetType().Name, ex.Message);
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        try
        {
            await base.OnDisconnectedAsync(connection);
        }
        catch (Exception ex) when (BomWatchers.IsRedisFailure(ex))
        {
            HubLog.BackplaneFailed(logger, "disconnect of " + connection.ConnectionId, ex.GetType().Name, ex.Message);
        }
    }

    void IDisposable.Dispose()
    {
        // Deliberately not base.Dispose(): see the remarks.
    }
}
