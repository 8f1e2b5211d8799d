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

    private async Task<EnrichmentStream> OpenStartedAsync()
    {
        var bom = NewBomId();
        await PublishAsync(_bus, bom, EnrichmentEventNames.Started);
        return await OpenAsync(bom, null);
    }

    private async Task<EnrichmentStream> OpenAsync(string bom, string? lastEventId)
    {
        var (status, stream) = await _bus.OpenStreamAsync(bom, Tenant, lastEventId).Bounded();
        Assert.Equal(OpenStreamStatus.Opened, status);
        return stream!;
    }
}
