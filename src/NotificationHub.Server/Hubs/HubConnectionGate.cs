using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections;
using NotificationHub.Server.Http;
using NotificationHub.Server.RateLimiting;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Stands in front of SignalR's own dispatcher on every request to the hub, so that one hub connection, whatever its
/// transport, is one connection token bound to the principal that negotiated it and counted once in the limits.
/// </summary>
/// <remarks>
/// <para>
/// SignalR does not bind a connection token to a user: its dispatcher only logs a warning when the name of the user
/// changes between requests, does not check the sender of a <c>POST</c> at all, and with long polling even swaps the
/// connection's user for each poll's. So the gate records the owner (tenant and subject) of each token it sees issued
/// by a negotiation and answers any other principal with 404, the same as an unknown token: the request never reaches
/// SignalR, so nothing is invoked, sent or polled.
/// </para>
/// <para>
/// Limits: a negotiation spends an attempt (per user per minute); the first <c>GET</c> of a token starts its transport
/// (WebSockets, server-sent events, or the first long poll) and takes the concurrency permits (per user, per tenant),
/// refusing with 429 before SignalR starts anything. The permits are held until SignalR's connection ends (see
/// <see cref="ReleaseWhenClosed"/>), across long polls and stateful reconnects alike. A WebSocket opened without
/// negotiation (<c>skipNegotiation</c>) has no token anyone else can use; its single request spends an attempt and
/// takes the permits.
/// </para>
/// </remarks>
internal sealed class HubConnectionGate(ConnectionLimiter limiter, TimeProvider time, ILogger<HubConnectionGate> logger)
{
    /// <summary>How long a negotiated connection may wait for its transport before its token is forgotten (SignalR drops it after 15 s).</summary>
    internal static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, HubConnectionTicket> _tickets = new(StringComparer.Ordinal);
    private long _nextSweepTicks;

    /// <summary>Tokens known now (negotiated or started, not ended).</summary>
    public int Count => _tickets.Count;

    /// <summary>Handles one request to the hub's endpoints from an authenticated <paramref name="owner"/>.</summary>
    public Task InvokeAsync(HttpContext http, RequestDelegate next, ConnectionOwner owner)
    {
        if (HttpMethods.IsOptions(http.Request.Method))
        {
            return next(http); // CORS preflight
        }

        if (http.Request.Path.Value?.EndsWith("/negotiate", StringComparison.Ordinal) == true)
        {
            return NegotiateAsync(http, next, owner);
        }

        var token = http.Request.Query["id"].ToString();
        var isStart = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsConnect(http.Request.Method);
        if (token.Length == 0)
        {
            // Without a token only a WebSocket can connect (SignalR answers anything else with 400).
            if (!isStart)
            {
                return next(http);
            }

            var direct = new HubConnectionTicket(null, owner, 0);
            direct.TryBeginStart();
            return StartAsync(http, next, direct, counted: false);
        }

        if (!_tickets.TryGetValue(token, out var ticket) || ticket.Owner != owner)
        {
            if (ticket is not null)
            {
                HubLog.ForeignConnectionToken(logger, http.Request.Method, owner.Subject, owner.TenantId);
            }

            return ApiProblems.HubConnectionNotFound().ExecuteAsync(http);
        }

        return isStart && ticket.TryBeginStart() ? StartAsync(http, next, ticket, counted: true) : next(http);
    }

    /// <summary>
    /// The connection middleware that gives a connection's permits back when SignalR's connection ends (its
    /// application ends after the transport and the hub's <c>OnDisconnectedAsync</c>), whatever the transport.
    /// </summary>
    public ConnectionDelegate ReleaseWhenClosed(ConnectionDelegate next) => async connection =>
    {
        try
        {
            await next(connection);
        }
        finally
        {
            // Long polling copies the first poll's items into the connection's own HttpContext, so the ticket is there too.
            if (connection.GetHttpContext()?.Items[typeof(HubConnectionTicket)] is HubConnectionTicket ticket && ticket.End())
            {
                Forget(ticket);
            }
        }
    };

    private async Task StartAsync(HttpContext http, RequestDelegate next, HubConnectionTicket ticket, bool counted)
    {
        var lease = counted ? limiter.Open(ticket.Owner) : limiter.AttemptAndOpen(ticket.Owner);
        if (!lease.IsAcquired)
        {
            ticket.CancelStart();
            await ConnectionRateLimiter.RejectAsync(http, lease);
            return;
        }

        ticket.Start(lease);
        http.Items[typeof(HubConnectionTicket)] = ticket;
        try
        {
            await next(http);
        }
        finally
        {
            // Refused by SignalR (unknown or expired connection, transport conflict): nothing started, nothing held.
            // A started WebSocket or SSE request returns only when its connection ended: End() then finds it ended.
            if (http.Response.StatusCode >= StatusCodes.Status300MultipleChoices || ticket.Token is null)
            {
                if (ticket.End())
                {
                    Forget(ticket);
                }
            }
        }
    }

    private async Task NegotiateAsync(HttpContext http, RequestDelegate next, ConnectionOwner owner)
    {
        using (var attempt = limiter.AttemptOnly(owner))
        {
            if (!attempt.IsAcquired)
            {
                await ConnectionRateLimiter.RejectAsync(http, attempt);
                return;
            }
        }

        // The negotiate response (a few hundred bytes) is buffered to learn the connection token it issues.
        var body = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = body;
        }

        if (http.Response.StatusCode == StatusCodes.Status200OK && ReadConnectionToken(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) is { } token)
        {
            var now = time.GetTimestamp();
            _tickets[token] = new HubConnectionTicket(token, owner, now);
            SweepPending(now);
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(body, http.RequestAborted);
    }

    // Negotiate version 1 names the token connectionToken; version 0 uses the connection id as the token.
    private static string? ReadConnectionToken(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            return root.TryGetProperty("connectionToken", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString()
                : root.TryGetProperty("connectionId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Forget(HubConnectionTicket ticket)
    {
        if (ticket.Token is { } token)
        {
            _tickets.TryRemove(new KeyValuePair<string, HubConnectionTicket>(token, ticket));
        }
    }

    // Negotiated connections whose transport never started: SignalR has dropped them; forget their tokens too.
    // At most one sweep per half lifetime, so negotiations stay O(1) on average.
    private void SweepPending(long now)
    {
        var next = Volatile.Read(ref _nextSweepTicks);
        if (now < next || Interlocked.CompareExchange(ref _nextSweepTicks, now + (long)(PendingLifetime.TotalSeconds / 2 * time.TimestampFrequency), next) != next)
        {
            return;
        }

        foreach (var (token, ticket) in _tickets)
        {
            if (ticket.IsPending && time.GetElapsedTime(ticket.CreatedAtTicks, now) > PendingLifetime)
            {
                _tickets.TryRemove(new KeyValuePair<string, HubConnectionTicket>(token, ticket));
            }
        }
    }
}
