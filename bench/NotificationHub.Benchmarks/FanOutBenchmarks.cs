using System.Buffers;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Hubs;
using NotificationHub.Server.Sse;

namespace NotificationHub.Benchmarks;

/// <summary>
/// One published event delivered to <see cref="Subscribers"/> local subscribers of its BOM, through the real
/// in-memory bus: each subscriber's stream is read and the bytes its transport would write are copied to a sink.
/// Divide time and allocations by <see cref="Subscribers"/> for the cost per delivery; the publish itself (validation,
/// envelope serialization) is paid once per event and is included.
/// </summary>
public class FanOutBenchmarks
{
    private const string Bom = "bench-bom";
    private const string Tenant = "bench";
    private readonly ArrayBufferWriter<byte> _sink = new(1 << 16);
    private ServiceProvider _services = null!;
    private EnrichmentEventBus _bus = null!;
    private readonly List<EnrichmentStream> _streams = [];
    private IHubProtocol _json = null!;
    private IHubProtocol _messagePack = null!;
    private PublishEventRequest _request = null!;

    private ActivityListener? _listener;

    /// <summary>Local subscribers of the BOM.</summary>
    [Params(1, 100, 1000)]
    public int Subscribers { get; set; }

    /// <summary>
    /// Whether a listener samples the bus's spans (tracing on: a publish span, the frame, a receive span per event);
    /// false is the default deployment, where none exists.
    /// </summary>
    [Params(false, true)]
    public bool Traced { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Traced)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == BusTracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Bus:SubscriberQueueCapacity"] = "1024" })
            .Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddEnrichmentEventBus();
        services.AddEnrichmentHub(configuration);
        _services = services.BuildServiceProvider();
        _bus = _services.GetRequiredService<EnrichmentEventBus>();
        var protocols = _services.GetServices<IHubProtocol>().ToList();
        _json = protocols.Single(p => p.Name == "json");
        _messagePack = protocols.Single(p => p.Name == "messagepack");
        _request = new PublishEventRequest
        {
            EventType = EnrichmentEventNames.Progress,
            TenantId = Tenant,
            State = new EnrichmentProgressState { TotalItems = 50, ProcessedItems = 6, EnrichedItems = 5, ErrorItems = 1, PercentComplete = 12 },
        };
        _bus.PublishAsync(Bom, _request with { EventType = EnrichmentEventNames.Started }).AsTask().GetAwaiter().GetResult();
        for (var i = 0; i < Subscribers; i++)
        {
            var (_, stream) = _bus.OpenStreamAsync(Bom, Tenant, null).AsTask().GetAwaiter().GetResult();
            while (stream!.TryRead(out _))
            {
                // the snapshot
            }

            _streams.Add(stream);
        }

        // Every subscriber must really get the event, or the numbers would flatter the fan-out.
        if (Sse() != Subscribers)
        {
            throw new InvalidOperationException("the bus did not deliver synchronously to every subscriber");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var stream in _streams)
        {
            stream.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _services.Dispose();
        _listener?.Dispose();
    }

    /// <summary>SSE: the frame cached per event, the same bytes for every subscriber.</summary>
    [Benchmark(Baseline = true)]
    public int Sse()
    {
        Publish();
        var delivered = 0;
        foreach (var stream in _streams)
        {
            while (stream.TryRead(out var busEvent))
            {
                _sink.Write(SseFrameCache.Get(busEvent));
                delivered++;
            }
        }

        _sink.ResetWrittenCount();
        return delivered;
    }

    /// <summary>SignalR JSON: the <c>SerializedHubMessage</c> of the event, serialized once for the protocol.</summary>
    [Benchmark]
    public int SignalRJson() => SignalRShared(_json);

    /// <summary>SignalR MessagePack, serialized once.</summary>
    [Benchmark]
    public int SignalRMessagePack() => SignalRShared(_messagePack);

    /// <summary>The previous path, for comparison: the invocation serialized again for every connection (JSON).</summary>
    [Benchmark]
    public int SignalRJsonPerConnection() => SignalRPerConnection(_json);

    /// <summary>The previous path, MessagePack.</summary>
    [Benchmark]
    public int SignalRMessagePackPerConnection() => SignalRPerConnection(_messagePack);

    private int SignalRShared(IHubProtocol protocol)
    {
        Publish();
        var delivered = 0;
        foreach (var stream in _streams)
        {
            while (stream.TryRead(out var busEvent))
            {
                _sink.Write(SerializedHubEvents.Get(busEvent).GetSerializedMessage(protocol).Span);
                delivered++;
            }
        }

        _sink.ResetWrittenCount();
        return delivered;
    }

    private int SignalRPerConnection(IHubProtocol protocol)
    {
        Publish();
        var delivered = 0;
        foreach (var stream in _streams)
        {
            while (stream.TryRead(out var busEvent))
            {
                protocol.WriteMessage(new InvocationMessage(EnrichmentHub.EventMethod,
                    ((InvocationMessage)SerializedHubEvents.Get(busEvent).Message!).Arguments), _sink);
                delivered++;
            }
        }

        _sink.ResetWrittenCount();
        return delivered;
    }

    private void Publish()
    {
        var pending = _bus.PublishAsync(Bom, _request);
        if (!pending.IsCompleted)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }
}
