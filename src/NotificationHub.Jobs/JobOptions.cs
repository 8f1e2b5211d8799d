using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Jobs;

/// <summary>Worker settings, bound from the <c>Worker</c> section.</summary>
public sealed class JobOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Worker";

    /// <summary>
    /// Runs jobs in this process. On by default, so the server alone gives a working Re-Enrich; hub nodes of a
    /// scaled-out deployment turn it off and leave the jobs to <c>NotificationHub.Worker</c> processes.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Simulated time to enrich one item.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ItemLatency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Share of items the simulator fails (deterministic per MPN), 0 to 1.</summary>
    [Range(0.0, 1.0)]
    public double ErrorRate { get; set; } = 0.03;

    /// <summary>Progress events closer together than this are coalesced (the final state is always published).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MinProgressInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Most line items one job may have.</summary>
    [Range(1, 100_000)]
    public int MaxItemsPerJob { get; set; } = 1000;

    /// <summary>Jobs one worker runs at once.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 4;
}
