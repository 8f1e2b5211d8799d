using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace NotificationHub.Client;

/// <summary>How the client reaches the server.</summary>
public enum EnrichmentTransport
{
    /// <summary>The SignalR hub: one connection for every watched BOM.</summary>
    SignalR,

    /// <summary>The SSE endpoint: one HTTP stream per BOM, for networks where only plain HTTP streaming passes.</summary>
    Sse,
}

/// <summary>The SignalR hub protocol.</summary>
public enum EnrichmentHubProtocol
{
    /// <summary>JSON text.</summary>
    Json,

    /// <summary>MessagePack binary (not over the SignalR Server-Sent Events transport).</summary>
    MessagePack,
}

/// <summary>Settings of an <see cref="EnrichmentClient"/>.</summary>
public sealed class EnrichmentClientOptions
{
    /// <summary>The server, e.g. <c>http://localhost:27200</c>.</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>Gives a (fresh) JWT whenever the client connects or reconnects.</summary>
    public required Func<CancellationToken, ValueTask<string>> TokenProvider { get; init; }

    /// <summary>SignalR (default) or SSE.</summary>
    public EnrichmentTransport Transport { get; init; } = EnrichmentTransport.SignalR;

    /// <summary>The hub protocol in SignalR mode.</summary>
    public EnrichmentHubProtocol Protocol { get; init; } = EnrichmentHubProtocol.Json;

    /// <summary>The SignalR transports allowed (all by default: WebSockets, then Server-Sent Events, then long polling).</summary>
    public HttpTransportType SignalRTransports { get; init; } =
        HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;

    /// <summary>When to retry a lost SignalR connection; null for SignalR's default (0, 2, 10, 30 s, then give up).</summary>
    public IRetryPolicy? ReconnectPolicy { get; init; }

    /// <summary>
    /// SignalR stateful reconnect (default on): a brief network drop is bridged on the same connection with nothing
    /// lost or repeated. When it cannot be (or when off), automatic reconnect opens a new connection and the client
    /// resubscribes every watched BOM from its last event id.
    /// </summary>
    public bool StatefulReconnect { get; init; } = true;

    /// <summary>Delay before an SSE stream that dropped is reopened.</summary>
    public TimeSpan SseRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>SSE reopen attempts in a row without receiving an event before the watch fails.</summary>
    public int SseMaxRetries { get; init; } = 10;

    /// <summary>Optional HTTP handler (tests, proxies) for both modes.</summary>
    public Func<HttpMessageHandler>? HttpMessageHandlerFactory { get; init; }
}
