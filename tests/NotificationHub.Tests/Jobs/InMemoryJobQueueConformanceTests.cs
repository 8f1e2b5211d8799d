using NotificationHub.Jobs;
using NotificationHub.Jobs.InMemory;

namespace NotificationHub.Tests.Jobs;

/// <summary>The job queue conformance suite against the embedded queue (its "other workers" share the one instance).</summary>
public sealed class InMemoryJobQueueConformanceTests : JobQueueConformanceTests, IDisposable
{
    private readonly InMemoryJobQueue _queue = new();

    protected override IJobQueue CreateQueue() => _queue;

    public void Dispose() => _queue.Dispose();
}
