using NotificationHub.LoadTest;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Bench;

/// <summary>
/// Keeps the load tool's <c>--publish batch</c> from rotting: a tiny, bounded run through the batch endpoint of the
/// real server (in-process Kestrel, in-memory bus). It checks counting and order, not speed.
/// </summary>
public sealed class LoadToolBatchSmokeTests
{
    [Fact]
    public async Task A_tiny_batch_run_delivers_every_event_once_in_order()
    {
        await using var server = await HubServer.StartAsync();
        var options = LoadOptions.Parse([
            "--label", "smoke-batch", "--url", server.BaseAddress.ToString(), "--signing-key", HubServer.SigningKey,
            "--sse", "6", "--boms", "5", "--events", "8", "--in-flight", "2", "--publish", "batch", "--batch-size", "2",
            "--warmup", "1", "--settle", "0", "--drain", "5", "--max-seconds", "30",
        ]);
        using var log = new StringWriter();

        var result = await new LoadRun(options, log).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(45));

        Assert.Equal(6, result.ConnectionsHeld);
        Assert.Equal(6 * 8, result.Expected);
        Assert.Equal(result.Expected, result.Received);
        Assert.Equal(0, result.Duplicates);
        Assert.Equal(0, result.Gaps); // each BOM's events arrive in order across batches
        Assert.Equal(0, result.PublishFailures);
        Assert.Null(result.FirstError);
    }
}
