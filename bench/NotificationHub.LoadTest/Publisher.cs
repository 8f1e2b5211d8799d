using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using NotificationHub.Contracts;
using StackExchange.Redis;

namespace NotificationHub.LoadTest;

/// <summary>
/// Publishes the run's events: through our publishing API, straight onto our bus channel in Redis, or to Nchan's
/// publisher location. Every event carries the <see cref="BenchMarker"/> stamped just before it is sent.
/// </summary>
internal sealed partial class Publisher : IAsyncDisposable
{
    public const string Tenant = "bench";
    private const string ChannelPrefix = "enrichment:bom:"; // Redis:ChannelPrefix default (RedisBusNames)
    private readonly LoadOptions _options;
    private readonly HttpClient _http;
    private readonly ConnectionMultiplexer? _redis;
    private long _failures;
    private long _published;

    private Publisher(LoadOptions options, ConnectionMultiplexer? redis)
    {
        _options = options;
        _redis = redis;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.InFlight, UseProxy = false })
        {
            BaseAddress = options.Url,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (!options.IsNchan)
        {
            var token = JwtMinter.Mint(options.SigningKey, "bench-publisher", null, "enrichment:publish", TimeSpan.FromHours(1));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public long Failures => Interlocked.Read(ref _failures);

    public string? FirstError { get; private set; }

    public static async Task<Publisher> CreateAsync(LoadOptions options)
    {
        ConnectionMultiplexer? redis = null;
        if (options.Publish == "redis")
        {
            redis = await ConnectionMultiplexer.ConnectAsync(options.Redis ?? throw new ArgumentException("--publish redis needs --redis"));
        }

        return new Publisher(options, redis);
    }

    /// <summary>Makes each BOM known and owned by the bench tenant (ours only; an Nchan channel exists on first use).</summary>
    public async Task CreateBomsAsync(IReadOnlyList<string> bomIds, CancellationToken cancel)
    {
        if (_options.IsNchan)
        {
            // Nothing to create; open the publishing connections (and JIT the path) on a channel nobody watches.
            await Parallel.ForEachAsync(Enumerable.Range(0, _options.InFlight * 2), new ParallelOptions { MaxDegreeOfParallelism = _options.InFlight, CancellationToken = cancel }, async (_, ct) =>
            {
                using var response = await _http.PostAsync("/pub?id=warmup-" + bomIds[0], Json("{}"), ct);
            });
            return;
        }

        await Parallel.ForEachAsync(bomIds, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancel }, async (bom, ct) =>
        {
            var body = $"{{\"event_type\":\"{EnrichmentEventNames.Started}\",\"tenant_id\":\"{Tenant}\",\"state\":{{\"total_items\":{_options.EventsPerBom}}}}}";
            for (var attempt = 1; ; attempt++)
            {
                using var response = await _http.PostAsync(EventsPath(bom), Json(body), ct);
                if (response.IsSuccessStatusCode)
                {
                    break;
                }

                // A 503 is what a publisher retries (a node whose Redis connections are still coming up, a replica
                // slow to acknowledge); the run should not die of one.
                if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || attempt == 5)
                {
                    throw new InvalidOperationException($"creating BOM {bom}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }

                await Task.Delay(500, ct);
            }
        });
    }

    /// <summary>Publishes event <paramref name="seq"/> (1-based) of a BOM.</summary>
    public async Task PublishAsync(string bomId, long seq, CancellationToken cancel)
    {
        var ticks = Stopwatch.GetTimestamp();
        var marker = BenchMarker.Payload(seq, ticks);
        var total = _options.Warmup + _options.EventsPerBom;
        var state = string.Create(CultureInfo.InvariantCulture,
            $"{{\"total_items\":{total},\"processed_items\":{seq},\"enriched_items\":{seq},\"error_items\":0,\"percent_complete\":{100.0 * seq / total:0.##}}}");
        try
        {
            if (_options.IsNchan)
            {
                // What our bus would carry: an envelope of the same shape and size.
                var body = Envelope(bomId, seq, state, marker);
                using var response = await _http.PostAsync("/pub?id=" + bomId, Json(body), cancel);
                Check(response);
            }
            else if (_redis is not null)
            {
                await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ChannelPrefix + bomId), Envelope(bomId, seq, state, marker));
            }
            else
            {
                var body = $"{{\"event_type\":\"{EnrichmentEventNames.Progress}\",\"tenant_id\":\"{Tenant}\",\"state\":{state},\"payload\":{marker}}}";
                using var response = await _http.PostAsync(NextServer(EventsPath(bomId)), Json(body), cancel);
                Check(response);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or RedisException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            FirstError ??= ex.Message;
        }
    }

    /// <summary>
    /// The servers' runtime counters from one <c>/metrics</c> scrape each, summed (ours), or null:
    /// <c>dotnet.gc.heap.total_allocated</c>, and <c>dotnet.thread_pool.work_item.count</c>, every hand-over to a
    /// worker thread (a socket completion, a task continuation run asynchronously, a queued item).
    /// </summary>
    public async Task<(long? AllocatedBytes, long? WorkItems)> ServerCountersAsync(CancellationToken cancel)
    {
        if (_options.IsNchan)
        {
            return (null, null);
        }

        long? allocated = 0, workItems = 0;
        try
        {
            foreach (var url in _options.Urls)
            {
                var lines = (await _http.GetStringAsync(new Uri(url, "/metrics"), cancel)).Split('\n');
                allocated += Counter(lines, "dotnet_gc_heap_total_allocated_bytes");
                workItems += Counter(lines, "dotnet_thread_pool_work_item_count");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Metrics are a bonus: a busy or stopping server must not fail the run.
            return (null, null);
        }

        return (allocated, workItems);
    }

    // A counter's value in a Prometheus scrape, or null when the scrape does not have it.
    private static long? Counter(string[] lines, string name) =>
        lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) is { } line
            ? (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)
            : null;

    /// <summary><paramref name="path"/> on the next server, round-robin (one server: relative to the base address).</summary>
    private Uri NextServer(string path) => _options.Urls.Count == 1
        ? new Uri(path, UriKind.Relative)
        : new Uri(_options.Urls[(int)(Interlocked.Increment(ref _published) % _options.Urls.Count)], path);

    private void Check(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref _failures);
            FirstError ??= $"publish: {(int)response.StatusCode}";
        }
    }

    private static string Envelope(string bomId, long seq, string state, string marker) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"event_id\":\"bench-{seq}\",\"event_type\":\"{EnrichmentEventNames.Progress}\",\"bom_id\":\"{bomId}\",\"tenant_id\":\"{Tenant}\",\"created_at\":\"{DateTimeOffset.UtcNow:O}\",\"state\":{state},\"payload\":{marker}}}");

    private static string EventsPath(string bomId) => $"/api/enrichment/{bomId}/events";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
