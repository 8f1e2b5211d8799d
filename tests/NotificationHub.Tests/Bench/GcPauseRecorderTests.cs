using NotificationHub.LoadTest;

namespace NotificationHub.Tests.Bench;

/// <summary>The load tool's GC pause recorder, pointed at this very test process over EventPipe.</summary>
public sealed class GcPauseRecorderTests
{
    [Fact]
    public async Task Counts_the_collections_of_a_traced_process_with_their_pauses_and_what_their_marking_went_to()
    {
        using var log = new StringWriter();
        await using var recorder = GcPauseRecorder.TryStart(Environment.ProcessId, log);
        Assert.True(recorder is not null, log.ToString());
        recorder.Begin();

        // Events reach the session a moment after each collection: collect until three ephemeral ones were seen, a gen0
        // among them. In this busy test process (every other test allocating beside it) the collector may take a forced
        // gen0 collection further, to gen1, when gen1's budget is spent: one CI run saw only two gen0 in 20 s of them.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        GcPauseSummary summary;
        do
        {
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            await Task.Delay(50);
            summary = recorder.Summarize();
        }
        while ((summary.Count[0] < 1 || summary.Count[0] + summary.Count[1] < 3) && DateTime.UtcNow < deadline);

        Assert.True(summary.Count[0] >= 1 && summary.Count[0] + summary.Count[1] >= 3,
            $"collections seen: gen0 {summary.Count[0]}, gen1 {summary.Count[1]}, gen2 {summary.Count[2]}");
        Assert.True(summary.TotalPauseMs > 0 && summary.MaxPauseMs >= summary.Gen0MeanPauseMs && summary.Gen0MeanPauseMs > 0);

        // The collection itself lies inside its pause, and its marking is split by root kind: the threads' stacks
        // always, the card table of older objects in every gen0 collection.
        Assert.True(summary.Gen0MeanCollectMs > 0 && summary.Gen0MeanCollectMs <= summary.Gen0MeanPauseMs,
            $"collect {summary.Gen0MeanCollectMs} ms, pause {summary.Gen0MeanPauseMs} ms");
        Assert.Contains(nameof(GcMarkPhase.Stack), summary.Gen0MeanMarkMs.Keys);
        Assert.Contains(nameof(GcMarkPhase.Older), summary.Gen0MeanMarkMs.Keys);
        Assert.True(summary.Gen0MeanPromotedBytes >= summary.Gen0MeanPromotedByCardsBytes);

        var ended = recorder.End();
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        await Task.Delay(200);
        Assert.Equal(ended.Count[0], recorder.Summarize().Count[0]); // nothing counted after End
    }

    [Fact]
    public void Steal_is_a_share_of_the_machine_time_between_two_readings()
    {
        var start = new HostCpu(Total: 1000, Steal: 10, Idle: 500);
        Assert.Equal(25, new HostCpu(Total: 1200, Steal: 60, Idle: 550).StealPercentSince(start));
        Assert.Equal(0, start.StealPercentSince(start));
        Assert.True(HostCpu.Read().Total > 0, "/proc/stat is readable");
    }
}
