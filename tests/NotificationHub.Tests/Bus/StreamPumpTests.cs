using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using static NotificationHub.Tests.Bus.BusTest;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// The one stream loop both transports use, on the real in-memory bus, with a recording writer: what it writes, and
/// how each lifecycle signal (terminal event, expiry, shutdown, cut-off, client gone) ends the stream.
/// </summary>
public sealed class StreamPumpTests : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly EnrichmentEventBus _bus;
    private readonly StreamPump _pump;

    public StreamPumpTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Stream:KeepAliveInterval"] = "00:00:00.050",
            ["Stream:EndWriteTimeout"] = "00:00:00.200",
            ["Bus:SubscriberQueueCapacity"] = "1",
        }).Build();
        _services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddEnrichmentEventBus().BuildServiceProvider();
        _bus = _services.GetRequiredService<EnrichmentEventBus>();
        _pump = _services.GetRequiredService<StreamPump>();
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task The_replay_is_written_then_stream_end_with_the_terminal_reason()
    {
        var bom = NewBomId();
        var started = await PublishAsync(_bus, bom, EnrichmentEventNames.Started);
        var failed = await PublishAsync(_bus, bom, EnrichmentEventNames.Failed, 1);
        await using var stream = await OpenAsync(bom, started.EventId);
        var sink = new RecordingStreamSink();

        var result = await _pump.RunAsync(stream, sink, keepAlive: false, DateTimeOffset.MaxValue, default, default).Bounded();

        Assert.Equal((StreamEndReasons.Failed, true), result);
        Assert.Equal(["event:" + failed.EventId, "end:failed"], sink.Written);
    }

    [Fact]
    public async Task Keepalives_are_written_every_interval_and_a_stopped_stream_ends_without_stream_end()
    {
        await using var stream = await OpenStartedAsync();
        var sink = new RecordingStreamSink();
        using var stop = new CancellationTokenSource();

        var running = _pump.RunAsync(stream, sink, keepAlive: true, DateTimeOffset.MaxValue, stop.Token, default);
        await sink.KeepAlivesWritten(2).Bounded();
        await stop.CancelAsync();

        Assert.Equal((null, false), await running.Bounded());
        Assert.DoesNotContain(sink.Written, w => w.StartsWith("end:", StringComparison.Ordinal));
        Assert.False(sink.Aborted);
    }

    [Fact]
    public async Task An_expired_token_ends_the_stream_with_token_expired_even_without_keepalives()
    {
        await using var stream = await OpenStartedAsync();
        var sink = new RecordingStreamSink();

        var result = await _pump.RunAsync(stream, sink, keepAlive: false, DateTimeOffset.UtcNow.AddMilliseconds(100), default, default).Bounded();

        Assert.Equal((StreamEndReasons.TokenExpired, true), result);
        Assert.Equal("end:token_expired", sink.Written[^1]);
        Assert.DoesNotContain("keepalive", sink.Written);
    }

    [Fact]
    public async Task A_client_that_does_not_take_stream_end_at_shutdown_is_aborted_after_the_end_write_timeout()
    {
        await using var stream = await OpenStartedAsync();
        var sink = new RecordingStreamSink { BlockEnd = true };
        using var stopping = new CancellationTokenSource();

        var running = _pump.RunAsync(stream, sink, keepAlive: false, DateTimeOffset.MaxValue, default, stopping.Token);
        await stopping.CancelAsync();

        Assert.Equal((StreamEndReasons.ServerShutdown, false), await running.Bounded());
        Assert.True(sink.Aborted);
    }

    [Fact]
    public async Task A_write_blocked_when_the_subscriber_is_cut_off_gives_way_to_stream_end_slow_consumer()
    {
        var bom = NewBomId();
        await PublishAsync(_bus, bom, EnrichmentEventNames.Started);
        await using var stream = await OpenAsync(bom, null);
        var sink = new RecordingStreamSink { BlockEvents = true }; // blocks on the snapshot, as on a client that stopped reading

        var running = _pump.RunAsync(stream, sink, keepAlive: false, DateTimeOffset.MaxValue, default, default);
        await PublishAsync(_bus, bom, EnrichmentEventNames.Progress, 1); // queued (capacity 1)
        await PublishAsync(_bus, bom, EnrichmentEventNames.Progress, 2); // overflows: cut off

        Assert.Equal((StreamEndReasons.SlowConsumer, true), await running.Bounded());
        Assert.Equal("end:slow_consumer", sink.Written[^1]);
    }

    [Fact]
    public async Task A_multi_bom_stream_ends_each_bom_after_its_terminal_event_and_returns_after_the_last()
    {
        string[] boms = [NewBomId(), NewBomId(), NewBomId()];
        var started = new List<BusEvent>();
        foreach (var bom in boms)
        {
            started.Add(await PublishAsync(_bus, bom, EnrichmentEventNames.Started));
        }

        var completedFirst = await PublishAsync(_bus, boms[0], EnrichmentEventNames.Completed, 20); // its snapshot
        var progress = await PublishAsync(_bus, boms[1], EnrichmentEventNames.Progress, 1); // replayed
        var failed = await PublishAsync(_bus, boms[1], EnrichmentEventNames.Failed, 1);
        var waiter = new StreamWaiter();
        await using var stream = new MultiBomStream(
            [await OpenAsync(boms[0], null, waiter), await OpenAsync(boms[1], started[1].EventId, waiter), await OpenAsync(boms[2], null, waiter)], waiter);
        var sink = new RecordingStreamSink { RecordBomIds = true };

        var running = _pump.RunAsync(stream, sink, keepAlive: false, DateTimeOffset.MaxValue, default, default);
        var completedLast = await PublishAsync(_bus, boms[2], EnrichmentEventNames.Completed, 20); // live (queue capacity 1)

        Assert.Equal((StreamEndReasons.Completed, true), await running.Bounded());
        var written = sink.Written;
        Assert.True(written.Count == 8, string.Join(" | ", written)); // 2 snapshots, 2 replayed, 1 live, 3 ends
        AssertInOrder(written, $"event:{boms[0]}:{completedFirst.EventId}", $"end:{boms[0]}:completed");
        AssertInOrder(written, $"event:{boms[1]}:{progress.EventId}", $"event:{boms[1]}:{failed.EventId}", $"end:{boms[1]}:failed");
        Assert.Equal([$"event:{boms[2]}:{started[2].EventId}", $"event:{boms[2]}:{completedLast.EventId}", $"end:{boms[2]}:completed"],
            written.Where(w => w.Contains(boms[2], StringComparison.Ordinal)));
        Assert.Equal($"end:{boms[2]}:completed", written[^1]);
        Assert.True(stream.Ended);
        Assert.Empty(stream.OpenBomIds);

        static void AssertInOrder(IReadOnlyList<string> written, params string[] expected) =>
            Assert.Equal(expected, written.Where(expected.Contains));
    }

    [Fact]
    public async Task A_stream_wide_end_writes_stream_end_for_every_bom_not_yet_ended()
    {
        string[] boms = [NewBomId(), NewBomId(), NewBomId()];
        foreach (var bom in boms)
        {
            await PublishAsync(_bus, bom, EnrichmentEventNames.Started);
        }

        await PublishAsync(_bus, boms[1], EnrichmentEventNames.Completed, 20);
        var waiter = new StreamWaiter();
        await using var stream = new MultiBomStream([.. await Task.WhenAll(boms.Select(bom => OpenAsync(bom, null, waiter)))], waiter);
        var sink = new RecordingStreamSink { RecordBomIds = true };
        using var stopping = new CancellationTokenSource();

        var running = _pump.RunAsync(stream, sink, keepAlive: false, DateTimeOffset.MaxValue, default, stopping.Token);
        await stopping.CancelAsync();

        Assert.Equal((StreamEndReasons.ServerShutdown, true), await running.Bounded());
        var ends = sink.Written.Where(w => w.StartsWith("end:", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"end:{boms[1]}:completed", $"end:{boms[0]}:server_shutdown", $"end:{boms[2]}:server_shutdown"], ends);
        Assert.Equal($"end:{boms[2]}:server_shutdown", sink.Written[^1]);
    }

    [Fact]
    public async Task One_bom_cut_off_as_a_slow_consumer_ends_the_whole_multi_bom_stream_for_every_bom()
    {
        string[] boms = [NewBomId(), NewBomId()];
        foreach (var bom in boms)
        {
            await PublishAsync(_bus, bom, EnrichmentEventNames.Started);
        }

        var waiter = new StreamWaiter();
        await using var stream = new MultiBomStream([await OpenAsync(boms[0], null, waiter), await OpenAsync(boms[1], null, waiter)], waiter);
        var sink = new RecordingStreamSink { BlockEvents = true, RecordBomIds = true }; // blocks on the first snapshot

        var running = _pump.RunAsync(stream, sink, keepAlive: false, DateTimeOffset.MaxValue, default, default);
        await PublishAsync(_bus, boms[1], EnrichmentEventNames.Progress, 1); // queued (capacity 1)
        await PublishAsync(_bus, boms[1], EnrichmentEventNames.Progress, 2); // overflows: cut off

        Assert.Equal((StreamEndReasons.SlowConsumer, true), await running.Bounded());
        Assert.Equal([$"end:{boms[0]}:slow_consumer", $"end:{boms[1]}:slow_consumer"], sink.Written.Where(w => w.StartsWith("end:", StringComparison.Ordinal)));
    }

    private async Task<EnrichmentStream> OpenStartedAsync()
    {
        var bom = NewBomId();
        await PublishAsync(_bus, bom, EnrichmentEventNames.Started);
        return await OpenAsync(bom, null);
    }

    private async Task<EnrichmentStream> OpenAsync(string bom, string? lastEventId, StreamWaiter? waiter = null)
    {
        var (status, stream) = await (waiter is null
            ? _bus.OpenStreamAsync(bom, Tenant, lastEventId)
            : _bus.OpenStreamAsync(bom, Tenant, lastEventId, waiter)).Bounded();
        Assert.Equal(OpenStreamStatus.Opened, status);
        return stream!;
    }
}
