using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Tests.Bus;

/// <summary>Helpers shared by the bus tests: publishing, bounded reads of a stream.</summary>
public static class BusTest
{
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);
    public const string Tenant = "tenant-a";
    public const string OtherTenant = "tenant-b";

    public static string NewBomId() => $"bom-{Guid.NewGuid():N}";

    public static EnrichmentProgressState State(int enriched, int total = 20) => new()
    {
        TotalItems = total,
        EnrichedItems = enriched,
        ProcessedItems = enriched,
        PercentComplete = enriched * 100.0 / total,
    };

    public static Task<BusEvent> PublishAsync(EnrichmentEventBus bus, string bomId, string eventType, int enriched = 0, string tenant = Tenant) =>
        bus.PublishAsync(bomId, new PublishEventRequest { EventType = eventType, TenantId = tenant, State = State(enriched) })
            .AsTask().WaitAsync(StepTimeout);

    /// <summary>The next event of the stream; fails after <see cref="StepTimeout"/> or when the stream ended.</summary>
    public static async Task<BusEvent> NextAsync(EnrichmentStream stream)
    {
        using var cts = new CancellationTokenSource(StepTimeout);
        while (await stream.WaitToReadAsync(cts.Token).AsTask().WaitAsync(StepTimeout))
        {
            if (stream.TryRead(out var busEvent))
            {
                return busEvent;
            }
        }

        throw new InvalidOperationException("The stream ended.");
    }

    public static async Task<List<BusEvent>> ReadToEndAsync(EnrichmentStream stream)
    {
        var events = new List<BusEvent>();
        while (!stream.Ended)
        {
            events.Add(await NextAsync(stream));
        }

        return events;
    }
}
