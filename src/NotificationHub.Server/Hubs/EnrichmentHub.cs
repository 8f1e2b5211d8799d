using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Auth;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// <c>/hubs/enrichment</c>: the SignalR transport, a thin adapter over <see cref="EnrichmentEventBus"/> like the SSE
/// endpoint. A connection watches any number of BOMs (up to <see cref="EnrichmentHubOptions.MaxBomsPerConnection"/>);
/// each watched BOM has its own pump reading the bus and sending to this connection only, through the client method
/// <see cref="EventMethod"/>. A watching connection is also in the BOM's group, which only <see cref="BomWatchers"/>'
/// notices (<see cref="NoticeMethod"/>) are sent to.
/// </summary>
[Authorize(Policy = ClaimNames.TenantPolicy)]
public sealed class EnrichmentHub(
    EnrichmentEventBus bus,
    StreamPump streamPump,
    BomWatchers watchers,
    IOptions<EnrichmentHubOptions> hubOptions,
    IOptions<AuthOptions> authOptions,
    Observability.TransportMetrics metrics,
    ILogger<EnrichmentHub> logger) : Hub
{
    /// <summary>Route of the hub.</summary>
    public const string Route = "/hubs/enrichment";

    /// <summary>The client method every event arrives through; its single argument is an <see cref="EnrichmentHubEvent"/>.</summary>
    public const string EventMethod = "EnrichmentEvent";

    /// <summary>
    /// The client method of <see cref="BomWatchers.SendAsync"/>'s application messages to a BOM's watchers; its single
    /// argument is a <see cref="BomNotice"/>.
    /// </summary>
    public const string NoticeMethod = "BomNotice";

    /// <summary>The error of an unknown BOM and of another tenant's BOM alike.</summary>
    public const string BomNotFoundMessage = "BOM not found";

    /// <summary>
    /// The error while the event bus (Redis) cannot be reached, is stalled or fails over: retry in a few seconds.
    /// It starts with the code <c>bus_unavailable</c> (the HTTP problem code), which clients match on.
    /// </summary>
    public const string BusUnavailableMessage = "bus_unavailable: The event bus is unavailable; retry shortly.";

    /// <summary>
    /// Watches a BOM: replay after <paramref name="lastEventId"/> (or the current snapshot), then live events, then
    /// <c>stream_end</c> after the terminal event, all through <see cref="EventMethod"/>. Subscribing again to a
    /// watched BOM restarts its stream from <paramref name="lastEventId"/>.
    /// </summary>
    /// <param name="bomId">The BOM: <see cref="BomIds.Rule"/>.</param>
    /// <param name="lastEventId">The last event id the client has, or null.</param>
    /// <returns>The subscription, as the data of the SSE <c>connected</c> event.</returns>
    /// <exception cref="HubException">Invalid id, unknown or another tenant's BOM, or too many BOMs on this connection.</exception>
    public async Task<BomSubscription> SubscribeBom(string bomId, string? lastEventId)
    {
        var connectionId = Context.ConnectionId;
        EnsureValid(bomId);
        var tenantId = Context.User?.GetTenantId(authOptions.Value.TenantClaim)
            ?? throw Refuse("no_tenant", bomId, "The token names no tenant.");
        if (lastEventId is { Length: 0 })
        {
            lastEventId = null;
        }

        var connection = ConnectionSubscriptions.Of(Context);
        if (connection.Remove(bomId) is { } previous)
        {
            await previous.StopAsync();
        }

        var cap = hubOptions.Value.MaxBomsPerConnection;
        if (connection.IsFull(bomId, cap))
        {
            throw Refuse("too_many_boms", bomId, CapMessage(cap));
        }

        OpenStreamStatus status;
        EnrichmentStream? stream;
        try
        {
            (status, stream) = await bus.OpenStreamAsync(bomId, tenantId, lastEventId, Context.ConnectionAborted);
        }
        catch (BusUnavailableException)
        {
            throw Refuse("bus_unavailable", bomId, BusUnavailableMessage);
        }

        switch (status)
        {
            case OpenStreamStatus.NotFound:
                throw Refuse("bom_not_found", bomId, BomNotFoundMessage);
            case OpenStreamStatus.AlreadyEnded:
                HubLog.AlreadyEnded(logger, connectionId, bomId);
                return new BomSubscription { BomId = bomId, Message = "Stream already ended", Ended = true };
        }

        var pump = new BomPump(connection.Connection, stream!, streamPump, logger,
            ended => connection.RemoveIfSame(ended) ? watchers.LeaveAsync(connection.Connection, ended.BomId) : Task.CompletedTask,
            AbortTransport(Context));
        switch (connection.TryAdd(pump, cap, out var replaced))
        {
            case ConnectionSubscriptions.AddResult.CapExceeded:
                await pump.StopAsync();
                throw Refuse("too_many_boms", bomId, CapMessage(cap));
            case ConnectionSubscriptions.AddResult.Closed:
                await pump.StopAsync();
                throw Refuse("closing", bomId, "The connection is closing.");
        }

        if (replaced is not null)
        {
            await replaced.StopAsync();
        }

        if (Context.ConnectionAborted.IsCancellationRequested)
        {
            // The connection closed while subscribing (OnDisconnectedAsync may already have run): release it all.
            await connection.CloseAsync();
            throw Refuse("closing", bomId, "The connection is closing.");
        }

        // Before the result, so a notice sent once SubscribeBom has returned reaches this connection.
        await watchers.JoinAsync(connection.Connection, bomId);
        HubLog.Subscribed(logger, connectionId, bomId, lastEventId, stream!.Recovered);
        pump.Start();
        return new BomSubscription { BomId = bomId, Recovered = stream.Recovered };
    }

    /// <summary>Stops watching a BOM: nothing more of it is sent on this connection.</summary>
    /// <param name="bomId">The BOM.</param>
    /// <returns>True when the BOM was watched.</returns>
    /// <exception cref="HubException">Invalid id.</exception>
    public async Task<bool> UnsubscribeBom(string bomId)
    {
        EnsureValid(bomId);
        var connection = ConnectionSubscriptions.Of(Context);
        if (connection.Remove(bomId) is not { } pump)
        {
            return false;
        }

        await pump.StopAsync();
        await watchers.LeaveAsync(connection.Connection, bomId);
        HubLog.Unsubscribed(logger, Context.ConnectionId, bomId);
        return true;
    }

    /// <inheritdoc />
    public override Task OnConnectedAsync()
    {
        var user = Context.User;
        HubLog.Connected(logger, Context.ConnectionId, user?.GetSubject() ?? "?", user?.GetTenantId(authOptions.Value.TenantClaim));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var count = await ConnectionSubscriptions.Of(Context).CloseAsync();
        HubLog.Disconnected(logger, Context.ConnectionId, count);
    }

    private void EnsureValid(string? bomId)
    {
        if (!BomIds.IsValid(bomId))
        {
            throw Refuse("invalid_bom_id", bomId ?? "", $"Invalid BOM id: a BOM id is {BomIds.Rule}.");
        }
    }

    private static string CapMessage(int cap) =>
        $"Too many BOMs: a connection may watch at most {cap}; unsubscribe from one first.";

    /// <summary>
    /// A refusal: one Debug line and the <c>notificationhub.hub.refused_invocations</c> metric, because a client can
    /// send thousands per second; <see cref="HubErrorLoggingFilter"/> keeps SignalR from logging it again as an error.
    /// </summary>
    private HubException Refuse(string reason, string bomId, string message)
    {
        HubLog.Refused(logger, reason, Context.ConnectionId, Http.ApiProblems.ForLog(bomId), message);
        metrics.RefusedInvocations.Add(1, new KeyValuePair<string, object?>(Observability.TransportMetrics.ReasonTag, reason));
        return new HubException(message);
    }

    /// <summary>
    /// How a pump drops a connection whose client does not read. Not <see cref="HubCallerContext.Abort"/>: that sends
    /// (when the socket still takes it) a close message with <c>allowReconnect: false</c>, and SignalR clients then
    /// stop for good instead of reconnecting and resubscribing from their last ids. Aborting the transport itself
    /// looks like a lost connection, which clients with automatic reconnect recover from.
    /// </summary>
    private static Action AbortTransport(HubCallerContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeFeature>() is { } lifetime
            ? lifetime.Abort
            : context.Abort;
}
