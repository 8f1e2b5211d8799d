using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// Group commit of replica acknowledgements for one master (one endpoint, whose interactive connection the appends
/// went over): at most one <c>WAIT 1</c> is in flight; every append whose script reply arrived while it was in flight
/// is covered by the next single <c>WAIT</c> (it acknowledges every earlier write of the connection), so the number of
/// <c>WAIT</c>s follows replica round trips, not publishes. Only after an acknowledgement are the group's events
/// published live (<see cref="PublishScript"/>, one call per BOM, pipelined), so a client never sees an event that a
/// failover can take back.
/// </summary>
internal sealed class ReplicaAckGroup
{
    /// <summary>
    /// Publishes, in log order, every entry of the BOM's log after the last one published (the meta hash's
    /// <c>pub</c> field) up to the acknowledged id, then records that id. KEYS: log, meta. ARGV: acknowledged id,
    /// channel, publish command. Entries another group (another node, or a timed-out <c>WAIT</c>) left unpublished
    /// go out with it, so the channel carries each event once and in log order whichever node acknowledged it;
    /// replicated writes ack in offset order, so an acknowledged id implies every earlier entry is on the replica.
    /// </summary>
    internal static readonly string PublishScript = EmbeddedLua.Load("publish-acknowledged.lua");

    // A WAIT that timed out leaves its BOMs unpublished; the loop asks again this many times (each bounded by the
    // timeout) before it leaves them to the next acknowledged append of the BOM or the subscribers' log check.
    private const int UnpublishedRetries = 10;

    private readonly IConnectionMultiplexer _redis;
    private readonly EndPoint _endPoint;
    private readonly long _timeoutMs;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private List<ReplicaAckWaiter> _queued = [];
    private readonly Dictionary<string, ReplicaAckWaiter> _unpublished = new(StringComparer.Ordinal);
    private bool _running;

    public ReplicaAckGroup(IConnectionMultiplexer redis, EndPoint endPoint, TimeSpan timeout, ILogger logger)
    {
        _redis = redis;
        _endPoint = endPoint;
        _timeoutMs = (long)timeout.TotalMilliseconds;
        _logger = logger;
    }

    /// <summary>
    /// Waits for a replica to acknowledge an append whose script reply has arrived, then publishes it. Throws
    /// <see cref="BusUnavailableException"/> when no replica acknowledged in time or the connection failed.
    /// </summary>
    public Task WaitAsync(ReplicaAckWaiter waiter)
    {
        lock (_lock)
        {
            _queued.Add(waiter);
            if (_running)
            {
                return waiter.Done.Task;
            }

            _running = true;
        }

        _ = Task.Run(RunAsync);
        return waiter.Done.Task;
    }

    private async Task RunAsync()
    {
        var idleRetries = 0;
        while (true)
        {
            List<ReplicaAckWaiter> batch;
            lock (_lock)
            {
                if (_queued.Count == 0 && (_unpublished.Count == 0 || idleRetries >= UnpublishedRetries))
                {
                    _unpublished.Clear();
                    _running = false;
                    return;
                }

                batch = _queued;
                _queued = [];
            }

            idleRetries = batch.Count == 0 ? idleRetries + 1 : 0;
            long acknowledged;
            try
            {
                acknowledged = (long)await _redis.GetServer(_endPoint).ExecuteAsync("WAIT", 1, _timeoutMs);
            }
            catch (Exception ex)
            {
                // The connection failed: what is unpublished is either in the new master's log (the subscribers
                // interrupted by the failure re-read it) or gone; it is never published from here.
                _unpublished.Clear();
                var failure = RedisEventBusBackend.IsUnavailable(ex)
                    ? new BusUnavailableException("The Redis master failed before a replica acknowledged the event.", ex)
                    : ex;
                foreach (var waiter in batch)
                {
                    waiter.Done.TrySetException(failure);
                }

                continue;
            }

            foreach (var waiter in batch)
            {
                Remember(waiter);
            }

            if (acknowledged < 1)
            {
                foreach (var waiter in batch)
                {
                    RedisBusLog.NotReplicated(_logger, waiter.BomId, _timeoutMs);
                    waiter.Done.TrySetException(new BusUnavailableException(
                        "No replica acknowledged the event in time; retry with the same idempotency key."));
                }

                continue;
            }

            // Sent in one go (the multiplexer pipelines them) and not awaited: the next WAIT need not wait for them,
            // and a publish that fails leaves a durable event that the subscribers' recovery or log check delivers.
            var db = _redis.GetDatabase();
            foreach (var waiter in _unpublished.Values)
            {
                _ = PublishAsync(db, waiter);
            }

            _unpublished.Clear();
            foreach (var waiter in batch)
            {
                waiter.Done.TrySetResult();
            }
        }
    }

    // Per BOM only the latest id matters: the script publishes everything unpublished up to it.
    private void Remember(ReplicaAckWaiter waiter)
    {
        if (!_unpublished.TryGetValue(waiter.BomId, out var known)
            || EventLogId.TryParse(waiter.EventId, out var id) && EventLogId.TryParse(known.EventId, out var knownId) && id > knownId)
        {
            _unpublished[waiter.BomId] = waiter;
        }
    }

    private async Task PublishAsync(IDatabase db, ReplicaAckWaiter waiter)
    {
        try
        {
            await db.ScriptEvaluateAsync(PublishScript, [waiter.LogKey, waiter.MetaKey], [waiter.EventId, waiter.Channel, waiter.Command]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RedisBusLog.AcknowledgedNotPublished(_logger, waiter.BomId, ex);
        }
    }
}
