using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.InMemory;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using static NotificationHub.Tests.Bus.BusTest;

namespace NotificationHub.Tests.Bus;

/// <summary>The conformance suite against the embedded backend.</summary>
public sealed class InMemoryEventBusConformanceTests : EventBusConformanceTests
{
    protected override IEventBusBackend CreateBackend(EventBusOptions options) =>
        new InMemoryEventBusBackend(Options.Create(options), TimeProvider.System);

    [Fact]
    public async Task A_bom_that_never_finishes_is_dropped_after_the_idle_retention_each_event_restarts()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var options = new EventBusOptions { IdleRetention = TimeSpan.FromDays(7), FinishedRetention = TimeSpan.FromDays(1) };
        var backend = new InMemoryEventBusBackend(Options.Create(options), time);
        var bomId = NewBomId();
        await AppendAsync(EnrichmentEventNames.Started);
        time.Advance(TimeSpan.FromDays(6));
        await AppendAsync(EnrichmentEventNames.Progress);
        time.Advance(TimeSpan.FromDays(6));
        Assert.NotNull((await backend.GetBomAsync(bomId, default))!.Latest);

        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var bom = await backend.GetBomAsync(bomId, default);
        Assert.Null(bom!.Latest);
        Assert.Equal(Tenant, bom.TenantId); // the owner stays

        async Task AppendAsync(string eventType)
        {
            var template = EnrichmentJson.SerializeEnvelope(new EnrichmentEnvelope
            {
                EventId = "", EventType = eventType, BomId = bomId, TenantId = Tenant, CreatedAt = time.GetUtcNow(),
            });
            await backend.AppendAsync(new PendingEvent(bomId, Tenant, eventType, template), default);
        }
    }
}
