using System.Collections.Immutable;

namespace NotificationHub.Bus;

/// <summary>
/// A BOM this node watches: one backend subscription shared by all local subscribers, whose sink it is, and one
/// <see cref="TopicRing"/> of its recent events they all read. The subscriber list is copy-on-write so fan-out
/// iterates it without a lock.
/// </summary>
internal sealed class BomTopic : IBusSubscriptionSink
{
    private readonly EnrichmentEventBus _bus;

    public BomTopic(EnrichmentEventBus bus, string bomId, string ownerTenantId, EventLogId? floor, int capacity)
    {
        _bus = bus;
        BomId = bomId;
        OwnerTenantId = ownerTenantId;
        Floor = floor;
        Ring = new TopicRing(capacity);
    }

    public string BomId { get; }

    /// <summary>The BOM's owner; channel messages of any other tenant are dropped.</summary>
    public string OwnerTenantId { get; }

    /// <summary>Guarded by the bus's topic lock.</summary>
    public int RefCount { get; set; }

    /// <summary>Completes when the backend subscription is in place.</summary>
    public Task<IAsyncDisposable>? BackendSubscription { get; set; }

    public ImmutableArray<TopicCursor> Subscribers { get; set; } = [];

    /// <summary>The recent events, written under <see cref="Gate"/>, read by the subscribers without a lock.</summary>
    public TopicRing Ring { get; }

    /// <summary>Serializes delivery: live messages (one at a time from the backend) and recovery re-reads.</summary>
    public Lock Gate { get; } = new();

    /// <summary>
    /// The BOM's latest log id read <em>before</em> the backend subscription was taken (null: no events then).
    /// Every subscriber's initial read covers the log up to it, so recovery never needs to go further back.
    /// </summary>
    public EventLogId? Floor { get; }

    /// <summary>Log id of the last event fanned out (guarded by <see cref="Gate"/>); later duplicates are skipped.</summary>
    public EventLogId? LastLogId { get; set; }

    /// <summary>
    /// True from the moment live delivery was interrupted (or a log check found a gap) until the log was re-read
    /// (guarded by <see cref="Gate"/>). Meanwhile live messages wait in <see cref="Pending"/> so nothing overtakes the
    /// recovered events.
    /// </summary>
    public bool Recovering { get; set; }

    /// <summary>The backend reported this subscription interrupted and not yet restored (guarded by <see cref="Gate"/>).</summary>
    public bool Interrupted { get; set; }

    /// <summary>A recovery task runs for this topic (guarded by <see cref="Gate"/>): at most one does.</summary>
    public bool RecoveryRunning { get; set; }

    /// <summary>Recovery was asked for again while one ran: it reads the log once more (guarded by <see cref="Gate"/>).</summary>
    public bool RecoverAgain { get; set; }

    /// <summary>When the periodic log check next looks at this topic (<see cref="TimeProvider.GetTimestamp"/> units; the check loop's own).</summary>
    public long NextLogCheck { get; set; }

    /// <summary>The newest log id a log check saw undelivered; a later check still behind it recovers (guarded by <see cref="Gate"/>).</summary>
    public EventLogId? SuspectedGap { get; set; }

    /// <summary>Live messages that arrived while <see cref="Recovering"/>, up to a bound (guarded by <see cref="Gate"/>).</summary>
    public List<BusEvent> Pending { get; } = [];

    /// <summary>Logged events arrived beyond <see cref="Pending"/>'s bound: the log must be read again (guarded by <see cref="Gate"/>).</summary>
    public bool PendingOverflowed { get; set; }

    /// <summary>Cuts off a subscriber its reader found behind, counted and logged as the fan-out does.</summary>
    public void CutOffSlowConsumer(TopicCursor subscriber) => _bus.CutOffSlowConsumer(subscriber);

    void IBusSubscriptionSink.OnEvent(BusEvent busEvent, ReadOnlySpan<byte> traceParent) => _bus.Dispatch(this, busEvent, traceParent);

    void IBusSubscriptionSink.OnDropped(string reason) => _bus.Drop(BomId, reason);

    void IBusSubscriptionSink.OnInterrupted() => _bus.OnInterrupted(this);

    void IBusSubscriptionSink.OnRestored() => _bus.OnRestored(this);
}
