using System.Diagnostics.Metrics;

namespace NotificationHub.Bus;

/// <summary>Instruments of the bus (meter <see cref="MeterName"/>).</summary>
public sealed class BusMetrics : IDisposable
{
    /// <summary>The meter's name, for OpenTelemetry registration.</summary>
    public const string MeterName = "NotificationHub.Bus";

    private readonly Meter _meter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public BusMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        Published = _meter.CreateCounter<long>("notificationhub.events.published", description: "Events accepted by the bus on this node.");
        Delivered = _meter.CreateCounter<long>("notificationhub.events.delivered", description: "Events fanned out to local subscribers (counted once per subscriber woken).");
        Dropped = _meter.CreateCounter<long>("notificationhub.events.dropped", description: "Channel messages dropped as malformed or foreign.");
        Replayed = _meter.CreateCounter<long>("notificationhub.events.replayed", description: "Events delivered from the replay log on resume.");
        SlowConsumers = _meter.CreateCounter<long>("notificationhub.subscribers.slow_consumer_disconnects", description: "Subscribers cut off because they fell too far behind.");
        Subscriptions = _meter.CreateUpDownCounter<long>("notificationhub.subscriptions", description: "Local subscriptions (watchers of one BOM).");
        Topics = _meter.CreateUpDownCounter<long>("notificationhub.topics", description: "BOMs this node is subscribed to on the backend.");
        Recovered = _meter.CreateCounter<long>("notificationhub.events.recovered", description: "Events re-read from the replay log after live delivery from the backend was interrupted.");
        DeliveryLatency = _meter.CreateHistogram<double>("notificationhub.delivery.latency", unit: "ms",
            description: "From publish (the log id's time) to a transport taking the live event for a subscriber.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000] });
    }

    /// <summary>Events published.</summary>
    public Counter<long> Published { get; }

    /// <summary>Events fanned out to local subscribers.</summary>
    public Counter<long> Delivered { get; }

    /// <summary>Channel messages dropped.</summary>
    public Counter<long> Dropped { get; }

    /// <summary>Events replayed.</summary>
    public Counter<long> Replayed { get; }

    /// <summary>Slow-consumer cut-offs.</summary>
    public Counter<long> SlowConsumers { get; }

    /// <summary>Local subscriptions.</summary>
    public UpDownCounter<long> Subscriptions { get; }

    /// <summary>Events recovered from the log after an interruption of live delivery.</summary>
    public Counter<long> Recovered { get; }

    /// <summary>Publish-to-delivery latency of live events, in ms.</summary>
    public Histogram<double> DeliveryLatency { get; }

    /// <summary>Backend subscriptions.</summary>
    public UpDownCounter<long> Topics { get; }

    /// <summary>Publishes the queue depth (how far local subscribers are behind, summed) as an observable gauge.</summary>
    public void ObserveQueuedEvents(Func<long> queued) =>
        _meter.CreateObservableGauge("notificationhub.subscriber_queue.events", queued,
            description: "Events written to the BOMs' rings and not yet read by local subscribers, summed over them (each at most Bus:SubscriberQueueCapacity behind).");

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
