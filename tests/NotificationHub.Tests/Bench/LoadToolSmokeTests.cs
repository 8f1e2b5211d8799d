using NotificationHub.LoadTest;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Bench;

/// <summary>
/// Keeps the load tool (bench/NotificationHub.LoadTest) from rotting: a tiny, bounded run against the real server
/// (in-process Kestrel, in-memory bus) over SSE, SignalR JSON and MessagePack. It checks counting, not speed:
/// benchmarks are run by bench/run-benchmarks.sh, never by CI.
/// </summary>
public sealed class LoadToolSmokeTests
{
    [Fact]
    public async Task A_tiny_run_receives_every_event_once_on_every_transport()
    {
        await using var server = await HubServer.StartAsync();
        var options = LoadOptions.Parse([
            "--label", "smoke", "--url", server.BaseAddress.ToString(), "--signing-key", HubServer.SigningKey,
            "--sse", "4", "--signalr-json", "2", "--signalr-msgpack", "2", "--boms", "2", "--events", "5",
            "--warmup", "1", "--settle", "0", "--drain", "5", "--max-seconds", "30",
        ]);
        using var log = new StringWriter();

        var result = await new LoadRun(options, log).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(45));

        Assert.Equal(8, result.ConnectionsHeld);
        Assert.Equal(0, result.ConnectErrors);
        Assert.Equal(8 * 5, result.Expected);
        Assert.Equal(result.Expected, result.Received);
        Assert.Equal(0, result.Duplicates);
        Assert.Equal(0, result.Gaps);
        Assert.Equal(0, result.StreamErrors);
        Assert.True(result.P99Ms > 0, "latencies are measured from the stamp inside each event");
        Assert.Contains("\"received\":40", result.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_tool_refuses_anything_but_loopback() =>
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--url", "http://10.0.0.1:80", "--sse", "1"]));
}
