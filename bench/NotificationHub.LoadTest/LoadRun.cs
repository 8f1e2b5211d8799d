using System.Diagnostics;
using System.Net;

namespace NotificationHub.LoadTest;

/// <summary>
/// One bounded run: connect every subscriber, let them sit idle (RSS), publish, wait for the deliveries, report.
/// Everything is cancelled at <see cref="LoadOptions.MaxSeconds"/> whatever happens.
/// </summary>
internal sealed class LoadRun(LoadOptions options, TextWriter log)
{
    private readonly DeliveryStats _stats = new();

    public async Task<LoadResult> RunAsync(CancellationToken outer)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(outer);
        bound.CancelAfter(TimeSpan.FromSeconds(options.MaxSeconds));
        var cancel = bound.Token;
        var result = new LoadResult { Label = options.Label, Target = options.Target, Publish = options.IsNchan ? "nchan-http" : options.Publish };
        result.OpenFilesLimit = NativeLimits.RaiseOpenFiles();

        using var server = options.ServerDll is null ? null : await ServerProcess.StartAsync(options, cancel);
        var pids = server is null ? options.ServerPids : [server.Pid, .. options.ServerPids];
        result.RssBeforeKiB = ProcStats.RssKiB(pids);

        var runId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));
        var boms = Enumerable.Range(0, options.Boms).Select(i => $"b{runId}-{i}").ToArray();
        await using var publisher = await Publisher.CreateAsync(options);
        await publisher.CreateBomsAsync(boms, cancel);

        using var subscribers = new CancellationTokenSource();
        using var _ = cancel.Register(subscribers.Cancel);
        var connectClock = Stopwatch.StartNew();
        var (sse, signalR, readers) = await ConnectAsync(boms, subscribers.Token, cancel);
        result.ConnectSeconds = connectClock.Elapsed.TotalSeconds;
        result.ConnectionsHeld = sse.Count(s => s.Connected) + signalR.Count;
        result.ConnectErrors = _stats.ConnectErrors;
        log.WriteLine($"[{options.Label}] {result.ConnectionsHeld}/{options.Connections} connected in {result.ConnectSeconds:0.0} s; server pids {string.Join(",", pids)}");

        await Task.Delay(TimeSpan.FromSeconds(options.SettleSeconds), cancel);
        result.RssIdleKiB = ProcStats.RssKiB(pids);

        if (options.Warmup > 0)
        {
            // Warm-up: the same path (JIT, pools, connections), events 1..W of each BOM; not measured.
            await PublishAllAsync(publisher, boms, 1, options.Warmup, 0, cancel);
            await DrainAsync((long)result.ConnectionsHeld * options.Warmup, cancel);
            await Task.Delay(1000, cancel); // tiered compilation promotes hot methods after a short delay
            _stats.Reset();
        }

        // Our server is a .NET process: its GC events say how much of the latency tail is collection pauses.
        await using var gcPauses = server is not null && !options.IsNchan ? GcPauseRecorder.TryStart(server.Pid, log) : null;
        var (allocated0, workItems0) = await publisher.ServerCountersAsync(cancel);
        var host0 = HostCpu.Read();
        gcPauses?.Begin();
        var clientCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var serverCpu0 = ProcStats.Cpu(pids);
        var threads0 = pids.Count > 0 ? ProcStats.CpuByThreadName(pids[0]) : [];
        var expected = (long)result.ConnectionsHeld * options.EventsPerBom;
        var publishStart = Stopwatch.GetTimestamp();
        var samples = new List<long>();
        using var sampler = new Timer(_ =>
        {
            lock (samples)
            {
                samples.Add(ProcStats.RssKiB(pids));
            }
        }, null, TimeSpan.FromSeconds(options.SampleSeconds), TimeSpan.FromSeconds(options.SampleSeconds));

        try
        {
            await PublishAllAsync(publisher, boms, options.Warmup + 1, options.EventsPerBom, options.Rate, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            result.TimedOut = true; // reported with what arrived so far
        }

        var publishEnd = Stopwatch.GetTimestamp();
        await DrainAsync(expected, cancel);
        result.ServerGc = gcPauses?.End();
        result.HostStealPercent = Math.Round(HostCpu.Read().StealPercentSince(host0), 1);
        result.RssAfterKiB = ProcStats.RssKiB(pids);
        var (allocated1, workItems1) = await publisher.ServerCountersAsync(cancel);
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpu0;
        var serverCpu = ProcStats.Cpu(pids) - serverCpu0;
        var threads1 = pids.Count > 0 ? ProcStats.CpuByThreadName(pids[0]) : [];
        await sampler.DisposeAsync();

        result.Connections = options.Connections;
        result.Sse = options.Sse;
        result.SignalRJson = options.SignalRJson;
        result.SignalRMessagePack = options.SignalRMessagePack;
        result.SignalRClient = options.SignalRJson + options.SignalRMessagePack > 0 ? options.SignalRClient : null;
        result.Boms = options.Boms;
        result.EventsPerBom = options.EventsPerBom;
        result.RateTarget = options.Rate;
        result.Published = (long)options.Boms * options.EventsPerBom - publisher.Failures;
        result.PublishFailures = publisher.Failures;
        result.PublishSeconds = Stopwatch.GetElapsedTime(publishStart, publishEnd).TotalSeconds;
        result.Expected = expected;
        result.Received = _stats.Received;
        result.Duplicates = _stats.Duplicates;
        result.Gaps = _stats.Gaps;
        result.Missing = expected - _stats.Received;
        result.StreamErrors = _stats.StreamErrors;
        result.FirstError = _stats.FirstError ?? publisher.FirstError;
        var last = _stats.LastDeliveryTicks;
        result.DeliverySeconds = last > publishStart ? Stopwatch.GetElapsedTime(publishStart, last).TotalSeconds : 0;
        result.DeliveriesPerSecond = result.DeliverySeconds > 0 ? _stats.Received / result.DeliverySeconds : 0;
        result.P50Ms = _stats.Latency.Percentile(0.50) / 1000;
        result.P90Ms = _stats.Latency.Percentile(0.90) / 1000;
        result.P99Ms = _stats.Latency.Percentile(0.99) / 1000;
        result.MaxMs = _stats.Latency.MaxMicros / 1000.0;
        result.ClientCpuSeconds = clientCpu.TotalSeconds;
        result.ServerCpuSeconds = serverCpu.TotalSeconds;
        result.RssSamplesKiB = [.. samples];
        result.ServerAllocatedBytes = allocated0 is { } a0 && allocated1 is { } a1 ? a1 - a0 : null;
        result.ServerWorkItems = workItems0 is { } w0 && workItems1 is { } w1 ? w1 - w0 : null;
        result.ServerThreadCpu = threads1
            .Select(t => (t.Key, Seconds: t.Value - threads0.GetValueOrDefault(t.Key)))
            .Where(t => t.Seconds > 0.005)
            .OrderByDescending(t => t.Seconds)
            .Take(8)
            .ToDictionary(t => t.Key, t => Math.Round(t.Seconds, 2));

        await subscribers.CancelAsync();
        await Task.WhenAny(Task.WhenAll(readers), Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None));
        foreach (var s in sse)
        {
            s.Dispose();
        }

        await Parallel.ForEachAsync(signalR, new ParallelOptions { MaxDegreeOfParallelism = 64 }, (s, _) => s.DisposeAsync());
        return result;
    }

    private async Task<(List<SseSubscriber> Sse, List<ISignalRSubscriber> SignalR, List<Task> Readers)> ConnectAsync(
        string[] boms, CancellationToken subscriberCancel, CancellationToken cancel)
    {
        var sse = new List<SseSubscriber>();
        var signalR = new List<ISignalRSubscriber>();
        var readers = new List<Task>();
        var endpoints = options.Urls.Select(u => new IPEndPoint(IPAddress.Parse(u.Host), u.Port)).ToArray();
        var token = JwtMinter.Mint(options.SigningKey, "bench-user", Publisher.Tenant, null, TimeSpan.FromHours(2));
        var invokers = options.Sources.Select(SignalRSubscriber.SourceBoundInvoker).ToArray();
        var hubUrls = options.Urls.Select(u => new Uri(u, "/hubs/enrichment")).ToArray();
        using var gate = new SemaphoreSlim(options.ConnectConcurrency);
        var pending = new List<Task>();
        var index = 0;
        for (var i = 0; i < options.Connections; i++, index++)
        {
            await gate.WaitAsync(cancel);
            var bom = boms[i % boms.Length];
            var source = options.Sources.Count > 0 ? options.Sources[index % options.Sources.Count] : null;
            if (i < options.Sse)
            {
                var subscriber = new SseSubscriber(_stats, source);
                sse.Add(subscriber);
                var path = options.IsNchan ? "/sub/" + bom : $"/api/enrichment/stream/{bom}?token={token}";
                readers.Add(subscriber.RunAsync(endpoints[i % endpoints.Length], path, subscriberCancel));
                pending.Add(subscriber.Ready.Task.ContinueWith(_ => gate.Release(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
            }
            else
            {
                var messagePack = i >= options.Sse + options.SignalRJson;
                var invoker = invokers.Length > 0 ? invokers[index % invokers.Length] : null;
                ISignalRSubscriber subscriber = options.SignalRClient == "dotnet"
                    ? new SignalRSubscriber(_stats, hubUrls[i % hubUrls.Length], token, messagePack, invoker)
                    : new RawSignalRSubscriber(_stats, hubUrls[i % hubUrls.Length], token, messagePack, invoker, subscriberCancel);
                pending.Add(Task.Run(async () =>
                {
                    try
                    {
                        if (await subscriber.StartAsync(bom, cancel))
                        {
                            lock (signalR)
                            {
                                signalR.Add(subscriber);
                            }
                        }
                        else
                        {
                            await subscriber.DisposeAsync();
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, CancellationToken.None));
            }
        }

        await Task.WhenAll(pending);
        return (sse, signalR, readers);
    }

    private async Task PublishAllAsync(Publisher publisher, string[] boms, long firstSeq, int eventsPerBom, double rate, CancellationToken cancel)
    {
        if (options.Publish == "batch")
        {
            await BatchPublishing.PublishAllAsync(publisher, options, boms, firstSeq, eventsPerBom, rate, cancel);
            return;
        }

        // Events of one BOM are published one after the other (a worker's progress is ordered); BOMs interleave.
        var total = (long)boms.Length * eventsPerBom;
        using var gate = new SemaphoreSlim(options.InFlight);
        var clock = Stopwatch.StartNew();
        var lanes = new Task[boms.Length];
        Array.Fill(lanes, Task.CompletedTask);
        for (long n = 0; n < total; n++)
        {
            if (rate > 0)
            {
                var wait = TimeSpan.FromSeconds(n / rate) - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, cancel);
                }
            }

            await gate.WaitAsync(cancel);
            var lane = (int)(n % boms.Length);
            lanes[lane] = PublishOneAsync(publisher, lanes[lane], boms[lane], firstSeq + (n / boms.Length), gate, cancel);
        }

        await Task.WhenAll(lanes);
    }

    private static async Task PublishOneAsync(Publisher publisher, Task previous, string bom, long seq, SemaphoreSlim gate, CancellationToken cancel)
    {
        try
        {
            await previous;
            await publisher.PublishAsync(bom, seq, cancel);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task DrainAsync(long expected, CancellationToken cancel)
    {
        var lastProgress = Stopwatch.StartNew();
        var seen = _stats.Received;
        while (_stats.Received < expected && lastProgress.Elapsed < TimeSpan.FromSeconds(options.DrainSeconds) && !cancel.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
            if (_stats.Received != seen)
            {
                seen = _stats.Received;
                lastProgress.Restart();
            }
        }
    }
}
