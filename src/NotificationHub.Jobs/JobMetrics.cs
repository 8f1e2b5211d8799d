using System.Diagnostics.Metrics;

namespace NotificationHub.Jobs;

/// <summary>Instruments of the workers (meter <see cref="MeterName"/>).</summary>
public sealed class JobMetrics : IDisposable
{
    /// <summary>The meter's name, for OpenTelemetry registration.</summary>
    public const string MeterName = "NotificationHub.Jobs";

    private readonly Meter _meter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public JobMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        Ended = _meter.CreateCounter<long>("notificationhub.jobs.ended", description: "Jobs this process ran to their end, by status (completed, cancelled).");
        TakenOver = _meter.CreateCounter<long>("notificationhub.jobs.taken_over", description: "Jobs this process resumed after another worker stopped.");
        Items = _meter.CreateCounter<long>("notificationhub.jobs.items", description: "Line items enriched by this process, by result (enriched, error).");
        Running = _meter.CreateUpDownCounter<long>("notificationhub.jobs.running", description: "Jobs running in this process.");
    }

    /// <summary>Jobs ended, tagged <c>status</c>.</summary>
    public Counter<long> Ended { get; }

    /// <summary>Jobs resumed from another worker's checkpoint.</summary>
    public Counter<long> TakenOver { get; }

    /// <summary>Items processed, tagged <c>result</c>.</summary>
    public Counter<long> Items { get; }

    /// <summary>Jobs running now.</summary>
    public UpDownCounter<long> Running { get; }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
