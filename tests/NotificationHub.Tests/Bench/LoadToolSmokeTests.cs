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
    [Theory]
    [InlineData("raw")]
    [InlineData("dotnet")]
    public async Task A_tiny_run_receives_every_event_once_on_every_transport(string signalRClient)
    {
        await using var server = await HubServer.StartAsync();
        var options = LoadOptions.Parse([
            "--label", "smoke", "--url", server.BaseAddress.ToString(), "--signing-key", HubServer.SigningKey,
            "--sse", "4", "--signalr-json", "2", "--signalr-msgpack", "2", "--boms", "2", "--events", "5",
            "--warmup", "1", "--settle", "0", "--drain", "5", "--max-seconds", "30", "--signalr-client", signalRClient,
        ]);
        using var log = new StringWriter();

        var result = await new LoadRun(options, log).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(45));

        AssertEveryDeliveryOnce(result, connections: 8, eventsPerConnection: 5);
        Assert.True(result.P99Ms > 0, "latencies are measured from the stamp inside each event");
        Assert.Contains("\"received\":40", result.ToJson(), StringComparison.Ordinal);
        Assert.Contains($"\"signal_r_client\":\"{signalRClient}\"", result.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Raw_SignalR_subscribers_alone_receive_every_event_once_with_both_protocols()
    {
        await using var server = await HubServer.StartAsync();
        var options = LoadOptions.Parse([
            "--label", "smoke-raw", "--url", server.BaseAddress.ToString(), "--signing-key", HubServer.SigningKey,
            "--signalr-json", "3", "--signalr-msgpack", "3", "--boms", "3", "--events", "20", "--in-flight", "8",
            "--warmup", "2", "--settle", "0", "--drain", "5", "--max-seconds", "30", "--signalr-client", "raw",
        ]);
        using var log = new StringWriter();

        var result = await new LoadRun(options, log).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(45));

        AssertEveryDeliveryOnce(result, connections: 6, eventsPerConnection: 20);
        Assert.Null(result.FirstError);
    }

    private static void AssertEveryDeliveryOnce(LoadResult result, int connections, int eventsPerConnection)
    {
        Assert.Equal(connections, result.ConnectionsHeld);
        Assert.Equal(0, result.ConnectErrors);
        Assert.Equal(connections * eventsPerConnection, result.Expected);
        Assert.Equal(result.Expected, result.Received);
        Assert.Equal(0, result.Duplicates);
        Assert.Equal(0, result.Gaps);
        Assert.Equal(0, result.StreamErrors);
    }

    [Fact]
    public void The_tool_refuses_anything_but_loopback() =>
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--url", "http://10.0.0.1:80", "--sse", "1"]));
}
