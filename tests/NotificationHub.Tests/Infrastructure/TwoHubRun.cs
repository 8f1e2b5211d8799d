using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using NotificationHub.Bus;
using Xunit.Abstractions;
using static NotificationHub.Tests.Infrastructure.Eventually;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// Two hub processes on one Redis deployment, run through a Redis fault the way the issue's fault tests ask: an SSE
/// and a SignalR client on each hub (each resumes on the other hub by itself if its own drops it), and a publisher
/// that alternates between the hubs, gives every event its own <c>Idempotency-Key</c> and retries every refusal with
/// it. A test starts the run, breaks Redis, calls <see cref="LiveAgainAsync"/> the moment it observed the failover
/// (or the fault's end), then <see cref="FinishAsync"/>, which asserts what holds for every fault.
/// </summary>
public sealed class TwoHubRun : IAsyncDisposable
{
    /// <summary>How soon after the failover every client must get live events again (the issue's bound).</summary>
    public static readonly TimeSpan LiveAgainWithin = TimeSpan.FromSeconds(10);

    private const string Started = """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":1000}}""";
    private const string Completed = """{"event_type":"enrichment.completed","tenant_id":"acme","state":{"total_items":1000,"processed_items":1000,"enriched_items":1000,"percent_complete":100}}""";

    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<HttpStatusCode> _statuses = new();

    // Accepted events in publish order, with the time the publisher first tried each (a retry may be answered with
    // the id of an append made before the fault, so "published after the failover" goes by the first attempt).
    private readonly ConcurrentQueue<(string Id, TimeSpan FirstAttempt)> _accepted = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly HubProcess[] _hubs;
    private readonly string _publisherToken;
    private (Func<string?> LastId, Func<List<string>> Ids, Func<int> Connections, Task Run)[] _watchers = [];
    private Task _publishing = Task.CompletedTask;
    private int _step;
    private volatile bool _disposed;

    private TwoHubRun(HubProcess[] hubs, string bomId, ITestOutputHelper output)
    {
        _hubs = hubs;
        BomId = bomId;
        _output = output;
        _publisherToken = hubs[0].PublisherToken();
    }

    /// <summary>The two hubs.</summary>
    public IReadOnlyList<HubProcess> Hubs => _hubs;

    /// <summary>The BOM the run publishes to and watches.</summary>
    public string BomId { get; }

    /// <summary>Every answer the publisher got, in order (0: no answer: the request failed or timed out).</summary>
    public IReadOnlyCollection<HttpStatusCode> Statuses => _statuses;

    /// <summary>
    /// Starts both hubs with <paramref name="settings"/>, publishes the BOM's first event, connects the four clients
    /// and publishes until every client is live.
    /// </summary>
    public static async Task<TwoHubRun> StartAsync(IDictionary<string, string?> settings, string bomId, ITestOutputHelper output)
    {
        settings = new Dictionary<string, string?>(settings) { ["Stream:KeepAliveInterval"] = "00:00:01" };
        var hubs = await Task.WhenAll(HubProcess.StartAsync(settings), HubProcess.StartAsync(settings)).WaitAsync(TimeSpan.FromSeconds(60));
        var run = new TwoHubRun(hubs, bomId, output);
        try
        {
            await run.StartClientsAsync();
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    private async Task StartClientsAsync()
    {
        var first = await PublishUntilAcceptedAsync(Started, $"{BomId}:started").WaitAsync(TestTimeouts.Default);
        var token = _hubs[0].Token("acme");
        var sseA = new FailoverSseWatcher([_hubs[0], _hubs[1]], BomId, token);
        var sseB = new FailoverSseWatcher([_hubs[1], _hubs[0]], BomId, token);
        var signalRA = new FailoverHubWatcher([_hubs[0], _hubs[1]], BomId, token);
        var signalRB = new FailoverHubWatcher([_hubs[1], _hubs[0]], BomId, token);
        _watchers =
        [
            (() => sseA.LastId, () => sseA.Ids, () => sseA.Connections, Task.Run(sseA.RunAsync)),
            (() => sseB.LastId, () => sseB.Ids, () => sseB.Connections, Task.Run(sseB.RunAsync)),
            (() => signalRA.LastId, () => signalRA.Ids, () => signalRA.Connections, Task.Run(signalRA.RunAsync)),
            (() => signalRB.LastId, () => signalRB.Ids, () => signalRB.Connections, Task.Run(signalRB.RunAsync)),
        ];
        await WaitUntilAsync(() => AllHave(first), "every client has the snapshot", TestTimeouts.Default);

        _publishing = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var step = Interlocked.Increment(ref _step);
                await PublishUntilAcceptedAsync(Progress(step), $"{BomId}:{step}");
                await Task.Delay(20);
            }
        });
        await WaitUntilAsync(() => _accepted.Count > 10 && AllHave(_accepted.Last().Id), "every client is live", TestTimeouts.Default);
    }

    /// <summary>
    /// Waits from now (call it when the failover was observed, or the fault ended) until the first event whose publish
    /// was first tried after now was accepted and reached every client; returns how long that took. Fails when that
    /// takes more than <see cref="LiveAgainWithin"/> and 5 s.
    /// </summary>
    public async Task<TimeSpan> LiveAgainAsync()
    {
        var from = _clock.Elapsed;
        var bound = LiveAgainWithin + TimeSpan.FromSeconds(5);
        string? firstAfter = null;
        await WaitUntilAsync(() => (firstAfter = _accepted.FirstOrDefault(a => a.FirstAttempt >= from).Id) is not null,
            "an event published after the failover is accepted", bound);
        await WaitUntilAsync(() => AllHave(firstAfter!), $"every client gets {firstAfter}", bound - (_clock.Elapsed - from));
        var after = _clock.Elapsed - from;
        _output.WriteLine($"live again {after.TotalMilliseconds:F0} ms after the failover ({firstAfter})");
        return after;
    }

    /// <summary>
    /// Publishes a little longer, ends the BOM and asserts what holds for every fault: the log (read by
    /// <paramref name="readLog"/> from whatever serves it now) is exactly the accepted events, in publish order (no
    /// duplicate, none lost); every client got exactly that log, once, in order, on the connection it opened first;
    /// the publisher got only 202 and 503; both hub processes are alive and ready.
    /// </summary>
    public async Task FinishAsync(Func<Task<IReadOnlyList<string>>> readLog)
    {
        var acceptedNow = _accepted.Count;
        await WaitUntilAsync(() => _accepted.Count > acceptedNow + 10, "publishing goes on", TestTimeouts.Default);
        await _stop.CancelAsync();
        await _publishing.WaitAsync(TestTimeouts.Default);
        await PublishUntilAcceptedAsync(Completed, $"{BomId}:completed").WaitAsync(TestTimeouts.Default);
        await Task.WhenAll(_watchers.Select(w => w.Run)).WaitAsync(TimeSpan.FromSeconds(30));

        _output.WriteLine($"publisher statuses: {string.Join(", ", _statuses.CountBy(s => s))}; {_accepted.Count} accepted");
        Assert.All(_statuses, status => Assert.Contains(status, new[] { HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable }));

        var log = await readLog();
        Assert.Equal(_accepted.Select(a => a.Id), log);
        foreach (var watcher in _watchers)
        {
            Assert.Equal(log, watcher.Ids());
            Assert.Equal(1, watcher.Connections());
        }

        foreach (var hub in _hubs)
        {
            Assert.False(hub.HasExited, "a hub process exited");
            using var live = await hub.Client.GetAsync("health/live").Bounded();
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            using var ready = await hub.Client.GetAsync("health/ready").Bounded();
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
    }

    /// <summary>Asks <paramref name="hub"/>'s <c>/health/ready</c> every 100 ms until <paramref name="stop"/>; every answer.</summary>
    public static async Task<List<HttpStatusCode>> PollReadinessAsync(HubProcess hub, CancellationToken stop)
    {
        var answers = new List<HttpStatusCode>();
        while (!stop.IsCancellationRequested)
        {
            using var ready = await hub.Client.GetAsync("health/ready", CancellationToken.None).Bounded();
            answers.Add(ready.StatusCode);
            await Task.Delay(100, CancellationToken.None);
        }

        return answers;
    }

    private static string Progress(int step) =>
        $$$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":1000,"processed_items":{{{step}}},"enriched_items":{{{step}}},"percent_complete":{{{step / 10}}}}}""";

    private bool AllHave(string id) => _watchers.All(w => w.LastId() is { } last && EventLogId.TryParse(last, out var l)
        && EventLogId.TryParse(id, out var i) && l >= i);

    private async Task<string> PublishUntilAcceptedAsync(string json, string idempotencyKey)
    {
        var firstAttempt = _clock.Elapsed;
        for (var attempt = 0; ; attempt++)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var hub = _hubs[attempt % 2];
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{BomId}/events")
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", _publisherToken);
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            try
            {
                using var response = await hub.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(15));
                _statuses.Enqueue(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("event_id").GetString()!;
                    _accepted.Enqueue((id, firstAttempt));
                    return id;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException)
            {
                _statuses.Enqueue(0);
            }

            await Task.Delay(50);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _stop.CancelAsync();
        foreach (var hub in _hubs)
        {
            await hub.DisposeAsync();
        }

        _stop.Dispose();
    }
}
