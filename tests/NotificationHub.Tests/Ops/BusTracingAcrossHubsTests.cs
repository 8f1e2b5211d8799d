using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NotificationHub.Bus;
using NotificationHub.Jobs;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Ops;

/// <summary>
/// Events followed across the bus by their exported spans (issue 16 item 5): published through one hub process with a
/// caller's <c>traceparent</c> and delivered by another (same Redis), or published by a job run on a worker process
/// and delivered by a hub. Every process exports over OTLP/HTTP to one <see cref="OtlpTraceReceiver"/>.
/// </summary>
[Collection("redis")]
public sealed class BusTracingAcrossHubsTests(RedisServerFixture redis)
{
    private const string Started = """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":10}}""";
    private const string Progress = """{"event_type":"enrichment.progress","tenant_id":"acme","state":{"total_items":10,"processed_items":1,"enriched_items":1,"percent_complete":10}}""";

    [Fact]
    public async Task The_receive_span_of_the_hub_that_delivers_an_event_links_to_the_publish_span_of_the_hub_that_accepted_it()
    {
        await using var receiver = await OtlpTraceReceiver.StartAsync();
        Dictionary<string, string?> Settings(string service) => new()
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_SERVICE_NAME"] = service,
        };
        var hubs = await Task.WhenAll(HubProcess.StartAsync(Settings("hub-a")), HubProcess.StartAsync(Settings("hub-b")))
            .WaitAsync(TimeSpan.FromSeconds(60));
        await using var publisher = hubs[0];
        await using var deliverer = hubs[1];
        var bom = $"bom-trace-{Guid.NewGuid():N}";
        var startedId = await publisher.PublishJsonAsync(bom, Started);

        var token = deliverer.Token("acme");
        await using var sse = await SseConnection.OpenAsync(deliverer.Client, $"api/enrichment/stream/{bom}?token={token}");
        await ReadSseUntilAsync(sse, startedId);
        var signalREvents = Channel.CreateUnbounded<WireEvent>();
        await using var signalR = new HubConnectionBuilder()
            .WithUrl(new Uri(deliverer.BaseAddress, "hubs/enrichment"), options =>
            {
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                options.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        signalR.On<JsonElement>("EnrichmentEvent", message => signalREvents.Writer.TryWrite(WireEvent.FromJson(message)));
        await signalR.StartAsync().Bounded();
        await signalR.InvokeAsync<JsonElement>("SubscribeBom", bom, startedId).Bounded();

        // The publisher's own trace, as a worker instrumented with OpenTelemetry would send it.
        var callerTraceId = ActivityTraceId.CreateRandom().ToHexString();
        var callerSpanId = ActivitySpanId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
        {
            Content = new StringContent(Progress, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", publisher.PublisherToken());
        request.Headers.Add("traceparent", $"00-{callerTraceId}-{callerSpanId}-01");
        using var response = await publisher.Client.SendAsync(request).Bounded();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var eventId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("event_id").GetString()!;

        // Both transports deliver the same envelope, which carries no trace context.
        var overSse = WireEvent.FromSse(await ReadSseUntilAsync(sse, eventId));
        WireEvent overSignalR;
        do
        {
            overSignalR = await signalREvents.Reader.ReadAsync().AsTask().Bounded();
        }
        while (overSignalR.Id != eventId);
        Assert.True(overSse.SameAs(overSignalR), $"SSE {overSse} vs SignalR {overSignalR}");
        Assert.DoesNotContain(callerTraceId, overSse.Data.ToJsonString(), StringComparison.Ordinal);

        var server = await receiver.WaitForAsync(
            s => s.ServiceName == "hub-a" && s.Kind == OtlpSpan.Server && s.TraceId == callerTraceId && s.ParentSpanId == callerSpanId,
            "server span of the publish request, child of the caller's traceparent");
        var publish = await receiver.WaitForAsync(
            s => s.ServiceName == "hub-a" && s.Name == BusTracing.PublishSpanName && s.Attribute(BusTracing.EventIdAttribute) == eventId,
            "publish span");
        var receive = await receiver.WaitForAsync(
            s => s.ServiceName == "hub-b" && s.Name == BusTracing.ReceiveSpanName && s.Attribute(BusTracing.EventIdAttribute) == eventId,
            "receive span on the delivering hub");

        Assert.Equal(OtlpSpan.Producer, publish.Kind);
        Assert.Equal(server.TraceId, publish.TraceId);
        Assert.Equal(server.SpanId, publish.ParentSpanId);
        Assert.Equal(bom, publish.Attribute(BusTracing.BomIdAttribute));

        Assert.Equal(OtlpSpan.Consumer, receive.Kind);
        Assert.Equal([new OtlpLink(publish.TraceId, publish.SpanId)], receive.Links);
        Assert.NotEqual(publish.TraceId, receive.TraceId);
        Assert.Equal("", receive.ParentSpanId);
        Assert.Equal(bom, receive.Attribute(BusTracing.BomIdAttribute));
        Assert.Equal(NotificationHub.Contracts.EnrichmentEventNames.Progress, receive.Attribute(BusTracing.EventTypeAttribute));
        Assert.Equal("2", receive.Attribute(BusTracing.SubscribersAttribute)); // the SSE stream and the SignalR subscription
    }

    [Fact]
    public async Task A_job_run_on_a_worker_links_to_the_request_that_started_it_and_the_hub_that_delivers_its_events_links_to_its_publishes()
    {
        await using var receiver = await OtlpTraceReceiver.StartAsync();
        var prefix = $"test:{Guid.NewGuid():N}:";
        Dictionary<string, string?> Settings(string service) => new()
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Redis:KeyPrefix"] = prefix + "bom:",
            ["Redis:ChannelPrefix"] = prefix + "enrichment:bom:",
            ["JobQueue:KeyPrefix"] = "{" + prefix + "jobs}:",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_SERVICE_NAME"] = service,
        };
        var hubSettings = Settings("hub");
        hubSettings["Worker:Enabled"] = "false"; // jobs run on the worker process only
        await using var hub = await HubProcess.StartAsync(hubSettings);
        var workerSettings = Settings("worker");
        workerSettings["Worker:ItemLatency"] = "00:00:00.050";
        workerSettings["Worker:ErrorRate"] = "0";
        workerSettings["JobQueue:PollInterval"] = "00:00:00.050";
        workerSettings["Logging:LogLevel:Default"] = "Information";
        await using var worker = await WorkerProcess.StartAsync(workerSettings);

        var bom = $"bom-trace-{Guid.NewGuid():N}";
        var claimedId = await hub.PublishJsonAsync(bom, Started); // the BOM is acme's, so a stream can open before the job
        var token = hub.Token("acme");
        await using var sse = await SseConnection.OpenAsync(hub.Client, $"api/enrichment/stream/{bom}?token={token}");
        await ReadSseUntilAsync(sse, claimedId);

        var callerTraceId = ActivityTraceId.CreateRandom().ToHexString();
        using var start = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/start")
        {
            Content = new StringContent("""{"items":[{"mpn":"T-1"},{"mpn":"T-2"},{"mpn":"T-3"}]}""", Encoding.UTF8, "application/json"),
        };
        start.Headers.Authorization = new("Bearer", token);
        start.Headers.Add("traceparent", $"00-{callerTraceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await hub.Client.SendAsync(start).Bounded();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("job_id").GetString()!;
        var completed = (await sse.ReadUntilAsync("enrichment.completed")).Last();
        Assert.Equal("enrichment.completed", completed.Event);

        var request = await receiver.WaitForAsync(
            s => s.ServiceName == "hub" && s.Kind == OtlpSpan.Server && s.TraceId == callerTraceId, "server span of the start request");
        var run = await receiver.WaitForAsync(
            s => s.ServiceName == "worker" && s.Name == JobTracing.RunSpanName && s.Attribute(JobTracing.JobIdAttribute) == jobId,
            "job run span on the worker");
        var publish = await receiver.WaitForAsync(
            s => s.ServiceName == "worker" && s.Name == BusTracing.PublishSpanName && s.Attribute(BusTracing.EventIdAttribute) == completed.Id,
            "the worker's publish span of enrichment.completed");
        var receive = await receiver.WaitForAsync(
            s => s.ServiceName == "hub" && s.Name == BusTracing.ReceiveSpanName && s.Attribute(BusTracing.EventIdAttribute) == completed.Id,
            "the hub's receive span of enrichment.completed");

        Assert.Equal([new OtlpLink(request.TraceId, request.SpanId)], run.Links);
        Assert.Equal("", run.ParentSpanId);
        Assert.Equal(run.TraceId, publish.TraceId);
        Assert.Equal(run.SpanId, publish.ParentSpanId);
        Assert.Equal([new OtlpLink(publish.TraceId, publish.SpanId)], receive.Links);
        Assert.Equal("1", receive.Attribute(BusTracing.SubscribersAttribute));
    }

    private static async Task<SseEvent> ReadSseUntilAsync(SseConnection sse, string eventId)
    {
        while (true)
        {
            var next = await sse.ReadEventAsync() ?? throw new InvalidOperationException($"The stream ended before {eventId}.");
            if (next.Id == eventId)
            {
                return next;
            }
        }
    }
}
