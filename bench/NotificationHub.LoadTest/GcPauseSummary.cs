namespace NotificationHub.LoadTest;

/// <summary>The server's collections in the measured phase (<see cref="GcPauseRecorder"/>), as reported in the result.</summary>
internal sealed class GcPauseSummary
{
    /// <summary>Collections per generation: gen0, gen1, gen2.</summary>
    public int[] Count { get; set; } = new int[3];

    /// <summary>All pauses added up.</summary>
    public double TotalPauseMs { get; set; }

    /// <summary>The mean pause of a gen0 collection (the frequent one).</summary>
    public double Gen0MeanPauseMs { get; set; }

    /// <summary>The longest pause of any generation.</summary>
    public double MaxPauseMs { get; set; }

    /// <summary>The mean time spent stopping threads before a collection (high on oversubscribed cores).</summary>
    public double MeanSuspendMs { get; set; }

    public static GcPauseSummary From(IReadOnlyCollection<GcPause> pauses)
    {
        var summary = new GcPauseSummary();
        if (pauses.Count == 0)
        {
            return summary;
        }

        foreach (var pause in pauses)
        {
            summary.Count[Math.Min(pause.Generation, 2)]++;
        }

        summary.TotalPauseMs = pauses.Sum(p => p.PauseMs);
        summary.MaxPauseMs = pauses.Max(p => p.PauseMs);
        summary.MeanSuspendMs = pauses.Average(p => p.SuspendMs);
        summary.Gen0MeanPauseMs = pauses.Where(p => p.Generation == 0).Select(p => p.PauseMs).DefaultIfEmpty().Average();
        return summary;
    }
}
