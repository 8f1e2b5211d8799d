using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Ops;

/// <summary>
/// With the standard <c>OTEL_EXPORTER_OTLP_*</c> variables a hub process exports its spans over OTLP/HTTP: the publish
/// request's server span (by its route) and the Redis commands it ran, and not the health probes.
/// The receiver (<see cref="OtlpTraceReceiver"/>) keeps the protobuf bodies as text too (strings are UTF-8 in them).
/// </summary>
[Collection("redis")]
public sealed class TracingExportTests(RedisServerFixture redis)
{
    [Fact]
    public async Task A_hub_with_an_otlp_endpoint_exports_the_publish_request_and_its_redis_spans_but_not_probes()
    {
        await using var receiver = await OtlpTraceReceiver.StartAsync();
        var bodies = receiver.Bodies;

        await using var hub = await HubProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_SERVICE_NAME"] = "notificationhub-test",
        });
        var bom = $"bom-trace-{Guid.NewGuid():N}";
        await hub.PublishJsonAsync(bom, """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":1}}""");

        bool Exported(string text) => bodies.Any(body => body.Contains(text, StringComparison.Ordinal));
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (!(Exported("/api/enrichment/{bom_id}/events") && Exported("redis")))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"No publish span with Redis spans exported within {TestTimeouts.Default} ({bodies.Count} export requests).");
            await Task.Delay(50);
        }

        Assert.True(Exported("notificationhub-test"), "The service name is not on the exported spans.");
        Assert.False(Exported("/health/ready"), "Readiness probes were traced.");
    }
}
