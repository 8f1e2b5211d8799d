using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// Clients that stop reading: each has a socket with a tiny receive buffer, so once the kernel buffers are full
/// every write of the server blocks, as with a client on a stalled network or a frozen browser tab.
/// </summary>
public static class StalledClients
{
    /// <summary>Receive buffer of the stalled sockets (the kernel rounds it up a little).</summary>
    public const int ReceiveBufferBytes = 4096;

    /// <summary>Opens an SSE stream on a raw socket and reads nothing, not even the response headers.</summary>
    public static async Task<StalledSocket> OpenSseAsync(Uri baseAddress, string bomId, string token)
    {
        var socket = NewSocket();
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, baseAddress.Port)).WaitAsync(TestTimeouts.Default);
        var request = $"GET /api/enrichment/stream/{bomId}?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{baseAddress.Port}\r\nAccept: text/event-stream\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None).WaitAsync(TestTimeouts.Default);
        return new StalledSocket(new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>
    /// Connects to the hub over WebSockets (no negotiation) with the JSON protocol, subscribes to a BOM, reads until the
    /// subscription's completion, then reads nothing more.
    /// </summary>
    public static async Task<StalledWebSocket> OpenHubAsync(Uri baseAddress, string bomId, string token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = NewSocket();
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var invoker = new HttpMessageInvoker(handler);
        var ws = new ClientWebSocket();
        var uri = new Uri($"ws://127.0.0.1:{baseAddress.Port}/hubs/enrichment?access_token={token}");
        await ws.ConnectAsync(uri, invoker, CancellationToken.None).WaitAsync(TestTimeouts.Default);
        var stalled = new StalledWebSocket(ws, invoker);
        await stalled.SendAsync("""{"protocol":"json","version":1}""");
        await stalled.ReadUntilAsync("{}");
        await stalled.SendAsync($$"""{"type":1,"invocationId":"1","target":"SubscribeBom","arguments":["{{bomId}}",null]}""");
        await stalled.ReadUntilAsync("\"type\":3");
        return stalled;
    }

    private static Socket NewSocket() => new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
    {
        // Before connecting, so the advertised window stays small for the whole connection.
        ReceiveBufferSize = ReceiveBufferBytes,
    };
}

/// <summary>A raw socket that has read nothing so far.</summary>
public sealed class StalledSocket(NetworkStream stream) : IAsyncDisposable
{
    /// <summary>
    /// Reads everything the server had managed to send, until it closed or reset the connection; returns the text
    /// (bounded: fails if the connection stays open).
    /// </summary>
    public async Task<string> ReadUntilClosedAsync()
    {
        // 30 s, not the default 10: a hub connection whose stream_end still fitted in its pipe is closed by
        // SignalR's 30-s client timeout. (An SSE one is closed after its response, or aborted Stream:EndWriteTimeout
        // after its stream_end: SseHandler.)
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = new StringBuilder();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // Reset by the server: closed too.
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => stream.DisposeAsync();
}

/// <summary>A SignalR WebSocket client that stopped reading after subscribing.</summary>
public sealed class StalledWebSocket(ClientWebSocket ws, HttpMessageInvoker invoker) : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly StringBuilder _received = new();

    /// <summary>Sends one JSON hub protocol message.</summary>
    public Task SendAsync(string json) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, true, CancellationToken.None)
            .WaitAsync(TestTimeouts.Default);

    /// <summary>Reads until a received record contains <paramref name="fragment"/>.</summary>
    public async Task ReadUntilAsync(string fragment)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Default);
        var buffer = new byte[16 * 1024];
        while (!_received.ToString().Split(RecordSeparator).Any(record => record.Contains(fragment, StringComparison.Ordinal)))
        {
            var result = await ws.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("The hub closed the connection: " + _received);
            }

            _received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }

    /// <summary>Reads what the server had sent until the connection ends; returns the text (bounded).</summary>
    public async Task<string> ReadUntilClosedAsync()
    {
        // 40 s, not the default 10: a send blocked when the client was cut off is cancelled and the connection aborted
        // at once, but when no send was pending at that moment, stream_end fits in the connection's pipe and it is
        // SignalR's client timeout (30 s without a message from a client that reads and sends nothing) that closes it.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var buffer = new byte[64 * 1024];
        try
        {
            while (ws.State == WebSocketState.Open)
            {
                var result = await ws.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                _received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
        }
        catch (WebSocketException)
        {
            // Aborted by the server: closed too.
        }

        return _received.ToString();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        ws.Dispose();
        invoker.Dispose();
        return ValueTask.CompletedTask;
    }
}
