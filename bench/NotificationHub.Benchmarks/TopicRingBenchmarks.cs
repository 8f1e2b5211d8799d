using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.InMemory;

namespace NotificationHub.Benchmarks;

/// <summary>
/// The topic ring's fan-out and reads: one event written once and woken to <see cref="Subscribers"/> cursors, each of
/// which then takes it, read lock-free (the seqlock stamps, as shipped) or under the topic's lock (the alternative the
/// ring's design weighed). One thread, so the lock is never contended here: the difference is the lock's own cost,
/// which contention between readers and the dispatching thread would only add to.
/// </summary>
public class TopicRingBenchmarks
{
    private ServiceProvider _services = null!;
    private EnrichmentEventBus _bus = null!;
    private BomTopic _topic = null!;
    private TopicCursor[] _cursors = [];
    private BusEvent _event = null!;

    /// <summary>Cursors on the topic.</summary>
    [Params(10, 1000)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new EventBusOptions();
        _bus = new EnrichmentEventBus(new InMemoryEventBusBackend(Options.Create(options), TimeProvider.System), Options.Create(options),
            NullLogger<EnrichmentEventBus>.Instance, new BusMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), TimeProvider.System);
        _topic = new BomTopic(_bus, "bench-bom", "bench", floor: null, options.SubscriberQueueCapacity);
        _cursors = [.. Enumerable.Range(0, Subscribers).Select(_ => new TopicCursor(_topic, new StreamWaiter()))];
        _topic.Subscribers = [.. _cursors];
        _event = new BusEvent("live-only", "enrichment.progress", "bench-bom", "bench", "{}"u8.ToArray()); // no log id: never de-duplicated
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    /// <summary>Fan-out, then every cursor reads without a lock (as shipped).</summary>
    [Benchmark(Baseline = true)]
    public void LockFreeReads()
    {
        FanOut();
        foreach (var cursor in _cursors)
        {
            cursor.TryTake(out _);
        }
    }

    /// <summary>Fan-out, then every cursor reads under the topic's lock.</summary>
    [Benchmark]
    public void ReadsUnderTheTopicLock()
    {
        FanOut();
        foreach (var cursor in _cursors)
        {
            lock (_topic.Gate)
            {
                cursor.TryTake(out _);
            }
        }
    }

    private void FanOut()
    {
        lock (_topic.Gate)
        {
            _bus.FanOut(_topic, _event);
        }
    }
}
