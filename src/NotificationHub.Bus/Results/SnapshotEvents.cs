using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>Builds the snapshot a late subscriber receives.</summary>
internal static class SnapshotEvents
{
    /// <summary>
    /// The latest non-terminal event re-typed as <c>progress</c>, keeping its id (the id of the latest event the
    /// state reflects, so a later reconnect resumes right after it) and its state.
    /// </summary>
    public static BusEvent AsProgress(BusEvent latest)
    {
        var envelope = latest.ToEnvelope() with { EventType = EnrichmentEventNames.Progress };
        return new BusEvent(latest.EventId, EnrichmentEventNames.Progress, latest.BomId, latest.TenantId,
            EnrichmentJson.SerializeEnvelope(envelope));
    }
}
