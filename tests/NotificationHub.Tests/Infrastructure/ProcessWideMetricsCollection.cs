namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// Tests that read up-down counters (open connections, subscriptions, topics) from <c>/metrics</c>. Meters are
/// process-wide: a server's OpenTelemetry listener also hears every other in-process test server's instruments, and
/// an up-down counter it started hearing halfway (a topic added before, removed after) can sum below zero. These run
/// alone, after the parallel collections, so that the only server alive is their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetricsCollection
{
    public const string Name = "process-wide metrics";
}
