using Microsoft.AspNetCore.SignalR;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The hub's BOM groups: every connection watching a BOM is in its group (<see cref="GroupName"/>), on whichever node
/// it is connected to. Server code sends a <see cref="BomNotice"/> to all of them with <see cref="SendAsync"/>; with
/// Redis configured the notice crosses nodes through the SignalR Redis backplane. Enrichment events never use groups:
/// each connection's pump reads them from its node's bus (docs/scaleout.md).
/// </summary>
/// <remarks>
/// A notice is fire-and-forget, as any SignalR group send: a client that is reconnecting, or whose group join failed
/// while Redis was unreachable, misses it. Anything a client must not miss belongs on the bus
/// (<see cref="EnrichmentEventBus.PublishAsync(string, PublishEventRequest, string?, CancellationToken)"/>).
/// </remarks>
public sealed class BomWatchers(IHubContext<EnrichmentHub> hub, ILogger<BomWatchers> logger)
{
    /// <summary>The SignalR group of a BOM's watchers: <c>bom:&lt;id&gt;</c>.</summary>
    public static string GroupName(string bomId) => "bom:" + bomId;

    /// <summary>Sends <paramref name="notice"/> to every connection watching its BOM, on every node.</summary>
    /// <exception cref="ArgumentException">The notice's BOM id is invalid or its kind is empty.</exception>
    /// <exception cref="BusUnavailableException">Redis cannot be reached, is stalled or fails over: retry shortly.</exception>
    public async Task SendAsync(BomNotice notice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notice);
        if (!BomIds.IsValid(notice.BomId))
        {
            throw new ArgumentException($"Invalid BOM id: a BOM id is {BomIds.Rule}.", nameof(notice));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(notice.Kind, nameof(notice));
        try
        {
            await hub.Clients.Group(GroupName(notice.BomId)).SendAsync(EnrichmentHub.NoticeMethod, notice, cancellationToken);
        }
        catch (Exception ex) when (RedisTransientErrors.IsTransient(ex))
        {
            throw new BusUnavailableException("The SignalR backplane (Redis) is unavailable.", ex);
        }
    }

    /// <summary>
    /// Puts a connection of this node in a BOM's group. With the backplane this subscribes the group's Redis channel
    /// (the first local watcher of the BOM only); a Redis failure is logged and swallowed, because the BOM's events
    /// come from the bus either way and only notices are missed.
    /// </summary>
    internal Task JoinAsync(HubConnectionContext connection, string bomId) =>
        ChangeAsync(connection, bomId, join: true);

    /// <summary>Takes a connection of this node out of a BOM's group (a Redis failure is logged and swallowed).</summary>
    internal Task LeaveAsync(HubConnectionContext connection, string bomId) =>
        ChangeAsync(connection, bomId, join: false);

    private async Task ChangeAsync(HubConnectionContext connection, string bomId, bool join)
    {
        if (connection.ConnectionAborted.IsCancellationRequested)
        {
            // Closing: its disconnect leaves every group. And once the Redis manager has forgotten the connection, a
            // group change for it is sent to the other nodes and waits for an ack that never comes (30 s).
            return;
        }

        var connectionId = connection.ConnectionId;
        var group = GroupName(bomId);
        try
        {
            // No cancellation token: the Redis manager ignores it, and the in-process one completes synchronously.
            await (join
                ? hub.Groups.AddToGroupAsync(connectionId, group, CancellationToken.None)
                : hub.Groups.RemoveFromGroupAsync(connectionId, group, CancellationToken.None));
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            HubLog.GroupChangeFailed(logger, join ? "join" : "leave", connectionId, bomId, ex.GetType().Name, ex.Message);
        }
    }

    /// <summary>
    /// What the backplane throws while Redis is gone or hung: the library's exceptions, its timeouts, and a wait
    /// cancelled or a connection disposed while the node stops.
    /// </summary>
    internal static bool IsRedisFailure(Exception ex) =>
        ex is StackExchange.Redis.RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException;
}
