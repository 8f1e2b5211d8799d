using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// Watches a BOM over SignalR, moving to the next node when the connection closes (the node drains or dies) and
/// resubscribing there from its last event id, as a client behind a load balancer does.
/// </summary>
public sealed class FailoverHubWatcher(IReadOnlyList<HubProcess> nodes, string bomId, string token)
{
    private volatile string? _lastId;

    /// <summary>Bus event ids received, in order, across all connections.</summary>
    public List<string> Ids { get; } = [];

    /// <summary>Connections that subscribed.</summary>
    public int Connections { get; private set; }

    /// <summary>The last event id received.</summary>
    public string? LastId => _lastId;

    /// <summary>Runs until the terminal <c>stream_end</c>.</summary>
    public async Task RunAsync()
    {
        for (var node = 0; node < nodes.Count; node++)
        {
            var events = Channel.CreateUnbounded<WireEvent?>();
            await using var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(nodes[node].BaseAddress, "hubs/enrichment"), options =>
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                    options.Transports = HttpTransportType.WebSockets;
                })
                .Build();
            connection.On<JsonElement>("EnrichmentEvent", message => events.Writer.TryWrite(WireEvent.FromJson(message)));
            connection.Closed += _ =>
            {
                events.Writer.TryWrite(null); // closed by the node (drain) or lost (the node died)
                return Task.CompletedTask;
            };

            try
            {
                await connection.StartAsync().WaitAsync(TestTimeouts.Default);
                await connection.InvokeAsync<JsonElement>("SubscribeBom", bomId, _lastId).WaitAsync(TestTimeouts.Default);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException
                or System.Net.WebSockets.WebSocketException or TaskCanceledException)
            {
                continue; // the node is gone: try the next
            }

            Connections++;
            while (await events.Reader.ReadAsync().AsTask().WaitAsync(FailoverSseWatcher.EventGap) is { } next)
            {
                if (next.Event == "stream_end")
                {
                    if (next.Data["reason"]!.GetValue<string>() is "completed" or "failed")
                    {
                        return;
                    }
                }
                else if (next.Id is not null)
                {
                    Ids.Add(next.Id);
                    _lastId = next.Id;
                }
            }
        }

        throw new InvalidOperationException($"No node left to resume on; got {Ids.Count} events.");
    }
}
