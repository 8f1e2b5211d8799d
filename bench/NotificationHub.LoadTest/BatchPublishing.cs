using System.Diagnostics;

namespace NotificationHub.LoadTest;

/// <summary>
/// <c>--publish batch</c>: the run's events through <c>POST /api/enrichment/events</c>. The BOMs are split into groups of
/// <see cref="LoadOptions.BatchSize"/>; one request carries the next event of every BOM of a group, and a group's next
/// request waits for its previous one (each BOM's events stay in order, as with single publishes); groups interleave,
/// at most <see cref="LoadOptions.InFlight"/> requests at once (one connection each).
/// </summary>
internal static class BatchPublishing
{
    public static async Task PublishAllAsync(Publisher publisher, LoadOptions options, string[] boms, long firstSeq, int eventsPerBom, double rate, CancellationToken cancel)
    {
        var groups = boms.Chunk(options.BatchSize).ToArray();
        using var gate = new SemaphoreSlim(options.InFlight);
        var clock = Stopwatch.StartNew();
        var lanes = new Task[groups.Length];
        Array.Fill(lanes, Task.CompletedTask);
        long sent = 0;
        for (var seq = 0; seq < eventsPerBom; seq++)
        {
            for (var g = 0; g < groups.Length; g++)
            {
                if (rate > 0)
                {
                    var wait = TimeSpan.FromSeconds(sent / rate) - clock.Elapsed;
                    if (wait > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(wait, cancel);
                    }
                }

                await gate.WaitAsync(cancel);
                lanes[g] = PublishOneAsync(publisher, lanes[g], groups[g], firstSeq + seq, gate, cancel);
                sent += groups[g].Length;
            }
        }

        await Task.WhenAll(lanes);
    }

    private static async Task PublishOneAsync(Publisher publisher, Task previous, string[] boms, long seq, SemaphoreSlim gate, CancellationToken cancel)
    {
        try
        {
            await previous;
            await publisher.PublishBatchAsync(boms, seq, cancel);
        }
        finally
        {
            gate.Release();
        }
    }
}
