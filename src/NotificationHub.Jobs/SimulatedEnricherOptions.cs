using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Jobs;

/// <summary>
/// Settings of <see cref="SimulatedPartEnricher"/>, bound from the <c>Worker</c> section (their keys predate the
/// split and stay: <c>Worker:ItemLatency</c>, <c>Worker:ErrorRate</c>; the simulator runs inside the worker).
/// </summary>
public sealed class SimulatedEnricherOptions
{
    /// <summary>Simulated time to enrich one item.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ItemLatency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Share of items the simulator fails (deterministic per MPN), 0 to 1.</summary>
    [Range(0.0, 1.0)]
    public double ErrorRate { get; set; } = 0.03;
}
