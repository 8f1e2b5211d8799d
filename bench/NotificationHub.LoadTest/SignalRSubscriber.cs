using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace NotificationHub.LoadTest;

/// <summary>
/// One SignalR connection (WebSockets, no negotiation) watching one BOM, with the JSON or MessagePack protocol, through
/// the real .NET client (<c>--signalr-client dotnet</c>): it deserializes every message into a <see cref="BenchHubEvent"/>.
/// </summary>
internal sealed class SignalRSubscriber : ISignalRSubscriber
{
    private readonly DeliveryStats _stats;
    private readonly HubConnection _connection;
    private long _lastSeq;

    public SignalRSubscriber(DeliveryStats stats, Uri hubUrl, string token, bool messagePack, HttpMessageInvoker? socketInvoker)
    {
        _stats = stats;
        var builder = new HubConnectionBuilder()
            .WithUrl(hubUrl, options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                if (socketInvoker is not null)
                {
                    options.WebSocketFactory = async (context, cancel) =>
                    {
                        var socket = new ClientWebSocket();
                        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
                        await socket.ConnectAsync(context.Uri, socketInvoker, cancel);
                        return socket;
                    };
                }
            });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        _connection = builder.Build();
        _connection.On<BenchHubEvent>("EnrichmentEvent", OnEvent);
        _connection.Closed += error =>
        {
            if (error is not null)
            {
                _stats.StreamFailed("SignalR closed: " + error.Message);
            }

            return Task.CompletedTask;
        };
    }

    public long LastSeq => Interlocked.Read(ref _lastSeq);

    /// <summary>Connects and subscribes; false (and counted) on failure.</summary>
    public async Task<bool> StartAsync(string bomId, CancellationToken cancel)
    {
        try
        {
            await _connection.StartAsync(cancel);
            await _connection.InvokeAsync<object>("SubscribeBom", bomId, null, cancel);
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or WebSocketException or IOException or InvalidOperationException
            or Microsoft.AspNetCore.SignalR.HubException or OperationCanceledException or SocketException)
        {
            _stats.ConnectFailed("SignalR: " + ex.Message);
            return false;
        }
    }

    private void OnEvent(BenchHubEvent hubEvent)
    {
        if (hubEvent.Data?.Payload is { } marker && marker.Ticks != 0)
        {
            _stats.Delivered(ref _lastSeq, marker.Seq, marker.Ticks);
        }
    }

    /// <summary>A handler whose sockets start from <paramref name="source"/> (to use more loopback source addresses than one).</summary>
    public static HttpMessageInvoker SourceBoundInvoker(IPAddress source) =>
        new(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        });

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
