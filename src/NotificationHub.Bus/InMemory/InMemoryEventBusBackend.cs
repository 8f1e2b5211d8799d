using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace NotificationHub.Bus.InMemory;

/// <summary>
/// The embedded backend: one process, no Redis. Same semantics as the Redis backend (log ids, capped replay
/// log, snapshot, ownership, retention of finished and idle BOMs, idempotency keys), so the conformance suite runs unchanged against both.
/// </summary>
public sealed class InMemoryEventBusBackend : IEventBusBackend
{
    private readonly ConcurrentDictionary<string, InMemoryBom> _boms = new(StringComparer.Ordinal);
    private readonly EventBusOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the backend.</summary>
    public InMemoryEventBusBackend(IOptions<EventBusOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
    }

    /// <inheritdoc />
    public ValueTask<string> AppendAsync(PendingEvent pending, CancellationToken cancellationToken)
    {
        var bom = _boms.GetOrAdd(pending.BomId, static _ => new InMemoryBom());
        lock (bom.Gate)
        {
            ExpireIfDue(bom);
            bom.Owner ??= pending.TenantId;
            if (!string.Equals(bom.Owner, pending.TenantId, StringComparison.Ordinal))
            {
                throw new BomOwnershipException(pending.BomId);
            }

            if (pending.IdempotencyKey is { } key)
            {
                PruneIdempotencyKeys(bom);
                if (bom.IdempotencyKeys.TryGetValue(key, out var firstId))
                {
                    // A repeat: nothing is appended; the caller gets the first publish's id.
                    return ValueTask.FromResult(firstId);
                }
            }

            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var id = now > bom.LastId.Milliseconds ? new EventLogId(now, 0) : bom.LastId with { Sequence = bom.LastId.Sequence + 1 };
            bom.LastId = id;
            var eventId = id.ToString();
            var busEvent = new BusEvent(eventId, pending.EventType, pending.BomId, pending.TenantId,
                EnvelopeTemplate.WithEventId(pending.JsonTemplate.Span, eventId));

            bom.Log.Enqueue(busEvent);
            while (bom.Log.Count > _options.ReplayLogMaxLength)
            {
                bom.Log.Dequeue();
            }

            bom.Latest = busEvent;
            bom.ExpiresAt = _time.GetUtcNow() + (pending.IsTerminal ? _options.FinishedRetention : _options.IdleRetention);
            if (pending.IdempotencyKey is { } newKey)
            {
                bom.IdempotencyKeys[newKey] = eventId;
                bom.IdempotencyExpiry.Enqueue((newKey, _time.GetUtcNow() + pending.IdempotencyWindow));
            }

            // Under the gate, so subscribers see events in log order; subscribers only queue (never block). They get
            // the very event: nothing to serialize or parse in one process. A traced publish's context goes with it.
            Span<byte> traceParent = stackalloc byte[TraceContextFrame.TraceParentLength];
            traceParent = pending.TraceParent is { Length: TraceContextFrame.TraceParentLength } traced
                ? traceParent[..System.Text.Encoding.ASCII.GetBytes(traced, traceParent)]
                : [];
            foreach (var subscriber in bom.Subscribers)
            {
                subscriber.OnEvent(busEvent, traceParent);
            }

            return ValueTask.FromResult(eventId);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> ClaimAsync(string bomId, string tenantId, CancellationToken cancellationToken)
    {
        var bom = _boms.GetOrAdd(bomId, static _ => new InMemoryBom());
        lock (bom.Gate)
        {
            bom.Owner ??= tenantId;
            return ValueTask.FromResult(string.Equals(bom.Owner, tenantId, StringComparison.Ordinal));
        }
    }

    /// <inheritdoc />
    public ValueTask<BomInfo?> GetBomAsync(string bomId, CancellationToken cancellationToken)
    {
        if (!_boms.TryGetValue(bomId, out var bom))
        {
            return ValueTask.FromResult<BomInfo?>(null);
        }

        lock (bom.Gate)
        {
            ExpireIfDue(bom);
            return ValueTask.FromResult(bom.Owner is null ? null : new BomInfo(bom.Owner, bom.Latest));
        }
    }

    /// <inheritdoc />
    public ValueTask<ReplayResult> ReadAfterAsync(string bomId, string afterEventId, CancellationToken cancellationToken)
    {
        if (!EventLogId.TryParse(afterEventId, out var after) || !_boms.TryGetValue(bomId, out var bom))
        {
            return ValueTask.FromResult(ReplayResult.NotFound);
        }

        lock (bom.Gate)
        {
            ExpireIfDue(bom);
            var found = after == EventLogId.Start;
            var events = new List<BusEvent>();
            foreach (var busEvent in bom.Log)
            {
                if (busEvent.LogId == after)
                {
                    found = true;
                }
                else if (found)
                {
                    events.Add(busEvent);
                }
            }

            return ValueTask.FromResult(found ? new ReplayResult(true, events) : ReplayResult.NotFound);
        }
    }

    /// <inheritdoc />
    /// <remarks>In-process delivery cannot be interrupted: <paramref name="sink"/> only ever gets messages.</remarks>
    public ValueTask<IAsyncDisposable> SubscribeAsync(string bomId, IBusSubscriptionSink sink, CancellationToken cancellationToken)
    {
        var bom = _boms.GetOrAdd(bomId, static _ => new InMemoryBom());
        lock (bom.Gate)
        {
            bom.Subscribers.Add(sink);
        }

        return ValueTask.FromResult<IAsyncDisposable>(new Unsubscriber(bom, sink));
    }

    /// <summary>Forgets the BOM's idempotency keys whose window has passed.</summary>
    private void PruneIdempotencyKeys(InMemoryBom bom)
    {
        var now = _time.GetUtcNow();
        while (bom.IdempotencyExpiry.TryPeek(out var oldest) && oldest.ExpiresAt <= now)
        {
            bom.IdempotencyExpiry.Dequeue();
            bom.IdempotencyKeys.Remove(oldest.Key);
        }
    }

    /// <summary>Drops the log and snapshot of a BOM whose retention (finished or idle) has passed; the owner stays.</summary>
    private void ExpireIfDue(InMemoryBom bom)
    {
        if (bom.ExpiresAt is { } at && _time.GetUtcNow() >= at)
        {
            bom.Log.Clear();
            bom.Latest = null;
            bom.ExpiresAt = null;
        }
    }

    private sealed class Unsubscriber(InMemoryBom bom, IBusSubscriptionSink sink) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (bom.Gate)
            {
                bom.Subscribers.Remove(sink);
            }

            return ValueTask.CompletedTask;
        }
    }
}
