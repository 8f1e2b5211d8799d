namespace NotificationHub.Bus;

/// <summary>
/// The readers one event woke (their waits taken by the fan-out), resumed one after another on one thread-pool work
/// item: each reader's continuation runs until its next wait or pending write, then the next reader's. Before, every
/// woken reader cost its own work item (one hand-over per delivery: docs/benchmarks.md, "fourth round").
/// </summary>
internal sealed class WakeBatch(StreamWaiter[] waiters, int count) : IThreadPoolWorkItem
{
    public void Execute()
    {
        for (var i = 0; i < count; i++)
        {
            waiters[i].CompleteTaken(inline: true);
        }
    }
}
