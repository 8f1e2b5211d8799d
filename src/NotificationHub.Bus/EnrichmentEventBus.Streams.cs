namespace NotificationHub.Bus;

// Opening a subscriber's stream: ownership check, replay or snapshot, then live, spliced without loss or duplicates.
public sealed partial class EnrichmentEventBus
{
    /// <summary>
    /// Opens the stream of one BOM for one subscriber: replay after <paramref name="lastEventId"/> (or the current
    /// snapshot, or the terminal event), then live events, ending after the terminal event.
    /// </summary>
    /// <remarks>
    /// The live subscription is taken <em>before</em> the log is read, so an event published in between is seen by
    /// both; live events whose log id is not after the last replayed one are skipped. That makes the seam exact.
    /// </remarks>
    public ValueTask<(OpenStreamStatus Status, EnrichmentStream? Stream)> OpenStreamAsync(
        string bomId, string tenantId, string? lastEventId, CancellationToken cancellationToken = default) =>
        OpenStreamAsync(bomId, tenantId, lastEventId, new StreamWaiter(shared: false), cancellationToken);

    /// <summary>
    /// Opens a stream as <see cref="OpenStreamAsync(string, string, string?, CancellationToken)"/>, woken through
    /// <paramref name="waiter"/>, which the reader shares between the streams of several BOMs: one
    /// <see cref="StreamWaiter.WaitAsync"/> returns when any of them may have something to read. The stream's own
    /// <see cref="EnrichmentStream.WaitToReadAsync"/> then also returns for the others' events (and for its own cut-off
    /// or end, which <see cref="EnrichmentStream.TryRead"/> reports).
    /// </summary>
    public async ValueTask<(OpenStreamStatus Status, EnrichmentStream? Stream)> OpenStreamAsync(
        string bomId, string tenantId, string? lastEventId, StreamWaiter waiter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        var bom = await GetBomForTenantAsync(bomId, tenantId, cancellationToken);
        if (bom is null)
        {
            return (OpenStreamStatus.NotFound, null);
        }

        var floor = bom.Latest is { HasLogId: true } known ? known.LogId : (EventLogId?)null;
        var subscription = await JoinAsync(bomId, bom.TenantId, floor, waiter, cancellationToken);
        try
        {
            bom = await _backend.GetBomAsync(bomId, cancellationToken) ?? bom;
            var latest = bom.Latest;
            var recovered = true;
            IReadOnlyList<BusEvent> initial = [];

            if (!string.IsNullOrEmpty(lastEventId))
            {
                var replay = await _backend.ReadAfterAsync(bomId, lastEventId, cancellationToken);
                if (replay.Found)
                {
                    // Compared as log ids, not as text: "000<id>" names the same event as "<id>" (the log reads it
                    // numerically), so it must end the same way instead of holding a finished BOM's stream open.
                    if (replay.Events.Count == 0 && latest is { IsTerminal: true, HasLogId: true }
                        && EventLogId.TryParse(lastEventId, out var resumeId) && resumeId == latest.LogId)
                    {
                        await LeaveAsync(subscription);
                        return (OpenStreamStatus.AlreadyEnded, null);
                    }

                    initial = replay.Events;
                    _metrics.Replayed.Add(initial.Count);
                }
                else
                {
                    recovered = false;
                    initial = Snapshot(latest);
                }
            }
            else
            {
                initial = Snapshot(latest);
            }

            return (OpenStreamStatus.Opened, new EnrichmentStream(this, subscription, recovered, initial));
        }
        catch
        {
            await LeaveAsync(subscription);
            throw;
        }
    }

    /// <summary>What a subscriber without a usable resume point gets: the latest state as <c>progress</c>, or the terminal event.</summary>
    private static IReadOnlyList<BusEvent> Snapshot(BusEvent? latest)
    {
        if (latest is null)
        {
            return [];
        }

        return latest.IsTerminal || latest.EventType == Contracts.EnrichmentEventNames.Progress
            ? [latest]
            : [SnapshotEvents.AsProgress(latest)];
    }

    internal ValueTask ReleaseAsync(TopicCursor subscription) => LeaveAsync(subscription);

    /// <summary>
    /// Records the publish-to-delivery latency of a live event a transport takes for writing. Logged events carry
    /// their publish time in the log id (the backend's clock: Redis's across nodes), so cross-node latency shows;
    /// live-only legacy messages carry no trustworthy time and are not recorded.
    /// </summary>
    internal void RecordDelivery(BusEvent busEvent)
    {
        if (!busEvent.HasLogId)
        {
            return;
        }

        var latency = _time.GetUtcNow().ToUnixTimeMilliseconds() - busEvent.LogId.Milliseconds;
        _metrics.DeliveryLatency.Record(latency < 0 ? 0 : latency);
    }
}
