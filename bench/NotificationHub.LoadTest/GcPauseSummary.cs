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

    /// <summary>The mean time of a gen0 collection itself (GC start to end: the pause less suspension and restart).</summary>
    public double Gen0MeanCollectMs { get; set; }

    /// <summary>
    /// Per gen0 collection, the mean time its mark phase spent on each kind of root (<see cref="GcMarkPhase"/>, by
    /// name): <c>Older</c> is the card table (old objects given references to young ones), <c>Stack</c> the threads'
    /// stacks, <c>Handles</c> the GC handles.
    /// </summary>
    public Dictionary<string, double> Gen0MeanMarkMs { get; set; } = [];

    /// <summary>The mean time of a gen0 collection after marking (plan, relocate, compact or sweep).</summary>
    public double Gen0MeanAfterMarkMs { get; set; }

    /// <summary>The mean bytes a gen0 collection promoted (survived it), and of those, reached through the card table.</summary>
    public double Gen0MeanPromotedBytes { get; set; }

    /// <summary>Of <see cref="Gen0MeanPromotedBytes"/>, the mean marked from old objects (through the card table).</summary>
    public double Gen0MeanPromotedByCardsBytes { get; set; }

    /// <summary>The number of kinds of <see cref="GcMarkPhase"/> recorded.</summary>
    public const int MarkPhases = 10;

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
        var gen0 = pauses.Where(p => p.Generation == 0).ToList();
        summary.Gen0MeanPauseMs = gen0.Select(p => p.PauseMs).DefaultIfEmpty().Average();
        if (gen0.Count > 0)
        {
            summary.Gen0MeanCollectMs = gen0.Average(p => p.CollectMs);
            for (var phase = 0; phase < MarkPhases; phase++)
            {
                var mean = gen0.Average(p => p.MarkMs[phase]);
                if (mean > 0)
                {
                    summary.Gen0MeanMarkMs[((GcMarkPhase)phase).ToString()] = Math.Round(mean, 3);
                }
            }

            summary.Gen0MeanAfterMarkMs = gen0.Average(p => p.CollectMs - p.MarkMs.Sum());
            summary.Gen0MeanPromotedBytes = gen0.Average(p => (double)p.PromotedGen0Bytes);
            summary.Gen0MeanPromotedByCardsBytes = gen0.Average(p => (double)p.PromotedByCardsBytes);
        }
        return summary;
    }
}
