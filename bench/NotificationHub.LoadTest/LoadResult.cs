using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotificationHub.LoadTest;

/// <summary>What one run measured: printed as a table and as one JSON line for <c>bench/report.py</c>.</summary>
internal sealed class LoadResult
{
    public string Label { get; set; } = "";

    public string Target { get; set; } = "";

    public string Publish { get; set; } = "";

    public string Machine { get; set; } = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}";

    public DateTimeOffset At { get; set; } = DateTimeOffset.UtcNow;

    public ulong OpenFilesLimit { get; set; }

    public int Connections { get; set; }

    public int Sse { get; set; }

    public int SignalRJson { get; set; }

    public int SignalRMessagePack { get; set; }

    /// <summary>Which SignalR subscriber ran (<c>raw</c> or <c>dotnet</c>); null without SignalR connections.</summary>
    public string? SignalRClient { get; set; }

    public int Boms { get; set; }

    public int EventsPerBom { get; set; }

    public double RateTarget { get; set; }

    public int ConnectionsHeld { get; set; }

    public long ConnectErrors { get; set; }

    public double ConnectSeconds { get; set; }

    public long Published { get; set; }

    public long PublishFailures { get; set; }

    public double PublishSeconds { get; set; }

    public long Expected { get; set; }

    public long Received { get; set; }

    public long Duplicates { get; set; }

    public long Gaps { get; set; }

    public long Missing { get; set; }

    public long StreamErrors { get; set; }

    public bool TimedOut { get; set; }

    public string? FirstError { get; set; }

    public double DeliverySeconds { get; set; }

    public double DeliveriesPerSecond { get; set; }

    public double P50Ms { get; set; }

    public double P90Ms { get; set; }

    public double P99Ms { get; set; }

    public double MaxMs { get; set; }

    public double ClientCpuSeconds { get; set; }

    public double ServerCpuSeconds { get; set; }

    public long RssBeforeKiB { get; set; }

    public long RssIdleKiB { get; set; }

    public long RssAfterKiB { get; set; }

    public IReadOnlyList<long> RssSamplesKiB { get; set; } = [];

    /// <summary>Bytes the server allocated while publishing and delivering (its runtime metrics; ours only).</summary>
    public long? ServerAllocatedBytes { get; set; }

    public double? ServerAllocatedBytesPerDelivery => ServerAllocatedBytes is { } b && Received > 0 ? b / (double)Received : null;

    /// <summary>Thread-pool work items the server completed while publishing and delivering (its runtime metrics; ours only).</summary>
    public long? ServerWorkItems { get; set; }

    /// <summary>Work items per published event (one publish request, or one event of a batch), with its deliveries.</summary>
    public double? ServerWorkItemsPerEvent => ServerWorkItems is { } n && Published > 0 ? n / (double)Published : null;

    public IReadOnlyDictionary<string, double> ServerThreadCpu { get; set; } = new Dictionary<string, double>();

    /// <summary>The server's garbage collections while publishing and delivering (ours, when it could be traced).</summary>
    public GcPauseSummary? ServerGc { get; set; }

    /// <summary>Percent of the machine's CPU time the hypervisor gave to other guests while publishing and delivering.</summary>
    public double HostStealPercent { get; set; }

    /// <summary>Server memory per idle connection: (idle − before) / held.</summary>
    public double IdleKiBPerConnection => ConnectionsHeld > 0 ? (RssIdleKiB - RssBeforeKiB) / (double)ConnectionsHeld : 0;

    public double ClientCpuPer100k => Received > 0 ? ClientCpuSeconds * 100_000 / Received : 0;

    public double ServerCpuPer100k => Received > 0 ? ServerCpuSeconds * 100_000 / Received : 0;

    public string ToJson() => JsonSerializer.Serialize(this, LoadResultJson.Default.LoadResult);

    public void WriteTable(TextWriter w)
    {
        var c = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(c, $"== {Label} ({Target}, publish {Publish}) =="));
        w.WriteLine(string.Create(c, $"  connections held      {ConnectionsHeld}/{Connections} (SSE {Sse}, SignalR JSON {SignalRJson}, MessagePack {SignalRMessagePack}{(SignalRClient is null ? "" : ", " + SignalRClient + " client")}) over {Boms} BOMs, {ConnectErrors} connect errors, {ConnectSeconds:0.0} s"));
        w.WriteLine(string.Create(c, $"  published             {Published} events ({EventsPerBom}/BOM) in {PublishSeconds:0.00} s, target rate {(RateTarget > 0 ? RateTarget.ToString("0", c) + "/s" : "max")}, {PublishFailures} failures"));
        w.WriteLine(string.Create(c, $"  deliveries            {Received}/{Expected} received, {Duplicates} duplicates, {Gaps} gaps, {Missing} missing, {StreamErrors} stream errors{(TimedOut ? ", TIMED OUT" : "")}"));
        w.WriteLine(string.Create(c, $"  rate                  {DeliveriesPerSecond:0} deliveries/s over {DeliverySeconds:0.00} s"));
        w.WriteLine(string.Create(c, $"  latency ms            p50 {P50Ms:0.000}  p90 {P90Ms:0.000}  p99 {P99Ms:0.000}  max {MaxMs:0.0}"));
        w.WriteLine(string.Create(c, $"  CPU s                 client {ClientCpuSeconds:0.00} ({ClientCpuPer100k:0.00}/100k deliveries), server {ServerCpuSeconds:0.00} ({ServerCpuPer100k:0.00}/100k)"));
        if (ServerAllocatedBytesPerDelivery is { } perDelivery)
        {
            w.WriteLine(string.Create(c, $"  server allocations    {ServerAllocatedBytes / 1048576.0:0.0} MiB, {perDelivery:0} bytes per delivery (publish included)"));
        }

        if (ServerWorkItemsPerEvent is { } perEvent)
        {
            w.WriteLine(string.Create(c, $"  server work items     {ServerWorkItems} thread-pool work items, {perEvent:0.00} per published event ({ServerWorkItems / (double)Math.Max(1, Received):0.000} per delivery)"));
        }

        if (ServerGc is { } gc)
        {
            w.WriteLine(string.Create(c, $"  server GC             gen0 {gc.Count[0]}, gen1 {gc.Count[1]}, gen2 {gc.Count[2]}; paused {gc.TotalPauseMs:0.0} ms in all, gen0 mean {gc.Gen0MeanPauseMs:0.00} ms, max {gc.MaxPauseMs:0.00} ms, suspension mean {gc.MeanSuspendMs:0.00} ms"));
            w.WriteLine(string.Create(c, $"  server gen0           collect {gc.Gen0MeanCollectMs:0.00} ms: mark {string.Join(", ", gc.Gen0MeanMarkMs.Select(m => $"{m.Key} {m.Value:0.00}"))}, after mark {gc.Gen0MeanAfterMarkMs:0.00} ms; promoted {gc.Gen0MeanPromotedBytes / 1024:0} KiB ({gc.Gen0MeanPromotedByCardsBytes / 1024:0} KiB through cards)"));
        }

        w.WriteLine(string.Create(c, $"  host CPU steal        {HostStealPercent:0.0} %"));
        w.WriteLine(string.Create(c, $"  server RSS MiB        before {RssBeforeKiB / 1024.0:0.0}, idle-connected {RssIdleKiB / 1024.0:0.0}, after {RssAfterKiB / 1024.0:0.0}; {IdleKiBPerConnection:0.00} KiB per idle connection"));
        if (RssSamplesKiB.Count > 0)
        {
            w.WriteLine("  RSS samples MiB       " + string.Join(" ", RssSamplesKiB.Select(k => (k / 1024.0).ToString("0", c))));
        }

        if (ServerThreadCpu.Count > 0)
        {
            w.WriteLine("  server CPU by thread  " + string.Join(", ", ServerThreadCpu.Select(t => string.Create(c, $"{t.Key} {t.Value:0.00}s"))));
        }

        if (FirstError is not null)
        {
            w.WriteLine("  first error           " + FirstError);
        }
    }
}

/// <summary>Source-generated JSON of <see cref="LoadResult"/> (snake_case, one line).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(LoadResult))]
internal sealed partial class LoadResultJson : JsonSerializerContext;
