using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Jobs;

/// <summary>
/// The job worker's settings, bound from the <c>Worker</c> section (the simulated enricher's are
/// <see cref="SimulatedEnricherOptions"/>; the API's job limits are the server's <c>Jobs</c> section).
/// </summary>
public sealed class WorkerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Worker";

    /// <summary>
    /// Runs jobs in this process. On by default, so the server alone gives a working Re-Enrich; hub nodes of a
    /// scaled-out deployment turn it off and leave the jobs to <c>NotificationHub.Worker</c> processes.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Progress events closer together than this are coalesced (the final state is always published).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MinProgressInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Jobs one worker runs at once.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 4;
}
