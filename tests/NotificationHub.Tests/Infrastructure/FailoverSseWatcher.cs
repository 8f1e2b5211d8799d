using System.Net;
using System.Text.Json;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// Watches a BOM over SSE the way an EventSource behind a load balancer does: when its stream ends without a
/// terminal <c>stream_end</c> (the node drains or dies), it reconnects with <c>Last-Event-ID</c> to the next node.
/// </summary>
public sealed class FailoverSseWatcher(IReadOnlyList<HubProcess> nodes, string bomId, string token)
{
    /// <summary>
    /// The longest wait for a client's next event: a Redis stall (8 s in the fault tests) plus the recovery holds the
    /// events that long, and nothing is lost by waiting.
    /// </summary>
    internal static readonly TimeSpan EventGap = TimeSpan.FromSeconds(30);

    private volatile string? _lastId;

    /// <summary>Bus event ids received, in order, across all connections.</summary>
    public List<string> Ids { get; } = [];

    /// <summary>Every <c>stream_end</c> reason received.</summary>
    public List<string> EndReasons { get; } = [];

    /// <summary>Streams opened.</summary>
    public int Connections { get; private set; }

    /// <summary>The last event id received.</summary>
    public string? LastId => _lastId;

    /// <summary>Runs until the terminal <c>stream_end</c>.</summary>
    public async Task RunAsync()
    {
        var path = $"api/enrichment/stream/{bomId}?token={token}";
        for (var node = 0; node < nodes.Count; node++)
        {
            SseConnection sse;
            try
            {
                sse = await SseConnection.OpenAsync(nodes[node].Client, path, _lastId);
            }
            catch (HttpRequestException)
            {
                continue; // the node is gone: try the next
            }

            await using (sse)
            {
                if (sse.StatusCode != HttpStatusCode.OK)
                {
                    continue;
                }

                Connections++;
                try
                {
                    while (await sse.ReadEventAsync(EventGap) is { } next)
                    {
                        if (next.Event == "stream_end")
                        {
                            var reason = JsonDocument.Parse(next.Data).RootElement.GetProperty("reason").GetString()!;
                            EndReasons.Add(reason);
                            if (reason is "completed" or "failed")
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
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    // The node died mid-stream.
                }
            }
        }

        throw new InvalidOperationException($"No node left to resume on; got {Ids.Count} events, ends: {string.Join(",", EndReasons)}.");
    }
}
