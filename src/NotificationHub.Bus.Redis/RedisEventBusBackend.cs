using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// The multi-node backend. Per BOM: a Redis Stream as the capped replay log, a hash holding the latest event
/// (the snapshot), a key holding the owning tenant, and a pub/sub channel carrying live events to every node.
/// Semantics match <see cref="InMemory.InMemoryEventBusBackend"/>; the shared conformance suite runs against both.
/// </summary>
public sealed partial class RedisEventBusBackend : IEventBusBackend
{
    private static readonly RedisValue PublishCommand = "PUBLISH";
    private static readonly RedisValue ShardedPublishCommand = "SPUBLISH";

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisBusOptions _options;
    private readonly EventBusOptions _busOptions;
    private readonly RedisBusNames _names;
    private readonly ILogger _logger;
    private readonly HashSet<RedisBusSubscription> _subscriptions = [];
    private readonly Lock _subscriptionsLock = new();

    // -1 until known (auto, before Redis first answered), then 0 classic or 1 sharded; never changes after.
    private int _sharded;

    // Counting replicas (`INFO replication` in the script) is ~8 µs of Redis time per publish (docs/operations.md).
    // Until a count finds a replica, an append that found none spares the appends of the next
    // ReplicaRecountInterval from counting (_countReplicasFrom, a Stopwatch timestamp): a node whose Redis has no
    // replica pays it once per interval instead of on every publish. Once a count found one (_replicasSeen), every
    // append counts, as before, so a deployment with replicas keeps its WAIT on every publish (in a cluster, whichever
    // master the BOM is on). Both are reset on every connection failure, restore or topology change.
    private long _countReplicasFrom;
    private int _replicasSeen;

    // One group commit of replica acknowledgements per master endpoint (a failover makes a new one).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<System.Net.EndPoint, ReplicaAckGroup> _ackGroups = new();

    /// <summary>How long an append that found no replica spares the following appends from counting them.</summary>
    internal static readonly TimeSpan ReplicaRecountInterval = TimeSpan.FromSeconds(1);

    /// <summary>Creates the backend over a connection (shared with anything else on the node that uses Redis).</summary>
    public RedisEventBusBackend(
        IConnectionMultiplexer redis,
        IOptions<RedisBusOptions> options,
        IOptions<EventBusOptions> busOptions,
        ILogger<RedisEventBusBackend> logger)
    {
        _redis = redis;
        _options = options.Value;
        _busOptions = busOptions.Value;
        _names = new RedisBusNames(_options);
        _logger = logger;
        _sharded = _options.ShardedPubSub switch
        {
            RedisShardedPubSub.On => 1,
            RedisShardedPubSub.Off => 0,
            _ => -1,
        };
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += RecountReplicas;
        _redis.ConfigurationChanged += RecountReplicas;
        _redis.ConfigurationChangedBroadcast += RecountReplicas;
    }

    // A replica may have appeared (or a replica became the master): the next append counts again.
    private void RecountReplicas(object? sender, EventArgs e)
    {
        Volatile.Write(ref _replicasSeen, 0);
        Volatile.Write(ref _countReplicasFrom, 0);
    }

    /// <summary>
    /// Interrupts only the subscriptions whose channel that connection carried: the loss of a node that carries none
    /// (a replica, another shard's master) changes nothing. Each interrupted subscription subscribes its channel again
    /// by itself, wherever it is served now, and reports the restore when the server confirmed it.
    /// </summary>
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        RecountReplicas(sender, e);
        if (e.ConnectionType != ConnectionType.Subscription || e.EndPoint is not { } endPoint)
        {
            return;
        }

        RedisBusSubscription[] subscriptions;
        lock (_subscriptionsLock)
        {
            subscriptions = [.. _subscriptions];
        }

        var interrupted = 0;
        foreach (var subscription in subscriptions)
        {
            if (subscription.Interrupt(endPoint))
            {
                interrupted++;
            }
        }

        if (interrupted > 0)
        {
            RedisBusLog.SubscriptionsInterrupted(_logger, endPoint.ToString() ?? "?", interrupted);
        }
    }

    /// <summary>
    /// Whether BOM channels are shard channels (<see cref="RedisBusOptions.ShardedPubSub"/>): with <c>Auto</c>, known once
    /// a server answered (a cluster that supports <c>SSUBSCRIBE</c>); null until then.
    /// </summary>
    public bool? IsSharded
    {
        get
        {
            var sharded = Volatile.Read(ref _sharded);
            if (sharded >= 0)
            {
                return sharded == 1;
            }

            foreach (var server in _redis.GetServers())
            {
                if (server.IsConnected)
                {
                    sharded = server.ServerType == ServerType.Cluster && server.Features.ShardedPubSub ? 1 : 0;
                    if (Interlocked.CompareExchange(ref _sharded, sharded, -1) == -1)
                    {
                        RedisBusLog.PubSubMode(_logger, sharded == 1 ? "sharded (SPUBLISH/SSUBSCRIBE)" : "classic (PUBLISH/SUBSCRIBE)");
                    }

                    return sharded == 1;
                }
            }

            return null;
        }
    }

    private bool Sharded(string operation, string bomId) =>
        IsSharded ?? throw Unavailable(operation, bomId,
            new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No Redis server has answered yet."));

    /// <summary>The key and channel names this backend uses.</summary>
    public RedisBusNames Names => _names;

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    /// <remarks>The state machine's box is pooled (one per publish otherwise): the bus awaits the ValueTask once.</remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<string> AppendAsync(PendingEvent pending, CancellationToken cancellationToken)
    {
        // Checked here because the script splices blindly: a malformed template would be stored before C# noticed.
        if (!pending.JsonTemplate.Span.StartsWith("{\"event_id\":\"\""u8))
        {
            throw new ArgumentException("The template does not start with an empty event_id.", nameof(pending));
        }

        var bomId = pending.BomId;
        var db = Db;
        var sharded = Sharded("append", bomId);
        var names = _names.ForBom(bomId, sharded);
        var logKey = names.LogKey;
        RedisKey[] keys = pending.IdempotencyKey is { } idempotencyKey
            ? [names.OwnerKey, logKey, names.MetaKey, _names.IdempotencyKey(bomId, idempotencyKey)]
            : [names.OwnerKey, logKey, names.MetaKey];
        var ackTimeout = _options.ReplicaAckTimeout;
        var countReplicas = ackTimeout > TimeSpan.Zero
            && (Volatile.Read(ref _replicasSeen) == 1 || Stopwatch.GetTimestamp() >= Volatile.Read(ref _countReplicasFrom));
        RedisValue[] args =
            [
                pending.TenantId,
                pending.JsonTemplate,
                _busOptions.ReplayLogMaxLength,
                names.ChannelName,
                pending.IsTerminal ? "1" : "0",
                (long)_busOptions.FinishedRetention.TotalMilliseconds,
                (long)_busOptions.IdleRetention.TotalMilliseconds,
                countReplicas ? "1" : "0",
                (long)pending.IdempotencyWindow.TotalMilliseconds,
                sharded ? ShardedPublishCommand : PublishCommand,
            ];
        if (pending.TraceParent is { } traceParent)
        {
            // Validated here: the script would frame any string before the envelope.
            if (!TraceContextFrame.IsTraceParent(traceParent))
            {
                throw new ArgumentException("Not a version-00 traceparent.", nameof(pending));
            }

            args = [.. args, traceParent];
        }

        RedisResult result;
        try
        {
            result = await db.ScriptEvaluateAsync(AppendScript, keys, args).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("append", bomId, ex);
        }

        if (result.IsNull)
        {
            throw new BomOwnershipException(bomId);
        }

        var reply = (RedisResult[])result!;
        var eventId = reply[0].ToString();
        if ((long)reply[2] > 0)
        {
            Volatile.Write(ref _replicasSeen, 1);
            await WaitForReplicaAsync(new ReplicaAckWaiter(bomId, logKey, keys[2], names.ChannelName,
                sharded ? ShardedPublishCommand : PublishCommand, eventId), ackTimeout, cancellationToken);
        }
        else if (countReplicas && Volatile.Read(ref _replicasSeen) == 0)
        {
            Volatile.Write(ref _countReplicasFrom, Stopwatch.GetTimestamp() + (long)(ReplicaRecountInterval.TotalSeconds * Stopwatch.Frequency));
        }

        // The caller splices the id into its template, the same bytes as the script built (a test holds the two
        // splices equal): the JSON is not sent back.
        return eventId;
    }

    /// <summary>
    /// Waits until a replica of the master that ran the append acknowledged it, so that the 202 holds through a
    /// failover, and the event is then published live. The <c>WAIT</c> runs on that master's interactive connection,
    /// the one the script went over (<c>WAIT</c> covers the writes of its own connection), grouped with the other
    /// appends of this node to that master (<see cref="ReplicaAckGroup"/>).
    /// </summary>
    /// <exception cref="BusUnavailableException">No replica acknowledged within the timeout, or the master failed.</exception>
    private async Task WaitForReplicaAsync(ReplicaAckWaiter waiter, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task acknowledged;
        try
        {
            // From the client's slot map / master, without a round trip (IdentifyEndpoint sends one, synchronously).
            var endPoint = _redis.GetServer(waiter.LogKey).EndPoint;
            acknowledged = _ackGroups.GetOrAdd(endPoint, static (e, s) => new ReplicaAckGroup(s.Redis, e, s.Timeout, s.Logger),
                (Redis: _redis, Timeout: timeout, Logger: _logger)).WaitAsync(waiter);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("wait for a replica", waiter.BomId, ex);
        }

        await acknowledged.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ClaimAsync(string bomId, string tenantId, CancellationToken cancellationToken)
    {
        try
        {
            var key = _names.OwnerKey(bomId);
            if (await Db.StringSetAsync(key, tenantId, when: When.NotExists).WaitAsync(cancellationToken))
            {
                return true;
            }

            var owner = await Db.StringGetAsync(key).WaitAsync(cancellationToken);
            return owner == tenantId;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("claim", bomId, ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<BomInfo?> GetBomAsync(string bomId, CancellationToken cancellationToken)
    {
        RedisValue owner;
        RedisValue latest;
        try
        {
            // Pipelined: both commands go out before either reply is awaited.
            var db = Db;
            var ownerTask = db.StringGetAsync(_names.OwnerKey(bomId));
            var latestTask = db.HashGetAsync(_names.MetaKey(bomId), RedisBusNames.LatestField);
            owner = await ownerTask.WaitAsync(cancellationToken);
            latest = await latestTask.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("read snapshot", bomId, ex);
        }

        if (owner.IsNullOrEmpty)
        {
            return null;
        }

        var latestEvent = latest.IsNull ? null : ReadStored(bomId, _names.MetaKey(bomId), latest);
        return new BomInfo(owner.ToString(), latestEvent);
    }

    /// <inheritdoc />
    public async ValueTask<ReplayResult> ReadAfterAsync(string bomId, string afterEventId, CancellationToken cancellationToken)
    {
        if (!EventLogId.TryParse(afterEventId, out var after))
        {
            return ReplayResult.NotFound;
        }

        if (after == EventLogId.Start)
        {
            return await ReadFromStartAsync(bomId, cancellationToken);
        }

        // The log may hold a few more than ReplayLogMaxLength entries (approximate trimming). Reading at most
        // max + 1 entries from the id (inclusive) both bounds the read and enforces the exact length: when the
        // id has max or more entries after it, it is older than the last max entries, as if trimmed.
        var max = _busOptions.ReplayLogMaxLength;
        StreamEntry[] entries;
        try
        {
            entries = await Db.StreamRangeAsync(_names.LogKey(bomId), after.ToString(), "+", max + 1)
                .WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("read log", bomId, ex);
        }

        if (entries.Length == 0 || entries.Length > max ||
            !EventLogId.TryParse(entries[0].Id.ToString(), out var first) || first != after)
        {
            return ReplayResult.NotFound;
        }

        var events = new List<BusEvent>(entries.Length - 1);
        for (var i = 1; i < entries.Length; i++)
        {
            var busEvent = ReadStored(bomId, _names.LogKey(bomId), entries[i][RedisBusNames.LogEntryField]);
            if (busEvent is null)
            {
                // A hole in the replay would be silent loss; report the id as not found so the client gets the snapshot.
                return ReplayResult.NotFound;
            }

            events.Add(busEvent);
        }

        return new ReplayResult(true, events);
    }

    /// <summary>The whole log; not found when it holds more than the replay length (it was trimmed).</summary>
    private async ValueTask<ReplayResult> ReadFromStartAsync(string bomId, CancellationToken cancellationToken)
    {
        var max = _busOptions.ReplayLogMaxLength;
        StreamEntry[] entries;
        try
        {
            entries = await Db.StreamRangeAsync(_names.LogKey(bomId), "-", "+", max + 1).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("read log", bomId, ex);
        }

        if (entries.Length > max)
        {
            return ReplayResult.NotFound;
        }

        var events = new List<BusEvent>(entries.Length);
        foreach (var entry in entries)
        {
            if (ReadStored(bomId, _names.LogKey(bomId), entry[RedisBusNames.LogEntryField]) is not { } busEvent)
            {
                return ReplayResult.NotFound;
            }

            events.Add(busEvent);
        }

        return new ReplayResult(true, events);
    }

    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable> SubscribeAsync(string bomId, IBusSubscriptionSink sink, CancellationToken cancellationToken)
    {
        var primary = _names.Channel(bomId, Sharded("subscribe", bomId));
        var channels = _names.LegacyChannel(bomId) is { } legacy && legacy != primary ? new[] { primary, legacy } : [primary];
        var subscription = new RedisBusSubscription(this, _redis.GetSubscriber(), bomId, channels, sink);
        try
        {
            // Completes once the server confirmed the subscription: the bus reads the log only after this,
            // which is what makes its replay/live seam exact.
            // Not abandoned on cancellation (the library's own timeout bounds it): an abandoned subscribe would
            // complete later with nobody to unsubscribe it.
            await subscription.SubscribeAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (Exception ex)
        {
            try
            {
                await subscription.DisposeAsync();
            }
            catch (Exception cleanup) when (IsUnavailable(cleanup))
            {
                // Best effort: the original failure is the one to report; the library drops the handlers anyway.
            }

            if (IsUnavailable(ex))
            {
                throw Unavailable("subscribe", bomId, ex);
            }

            throw;
        }

        lock (_subscriptionsLock)
        {
            _subscriptions.Add(subscription);
        }

        // A connection that failed between the confirmation and the registration was not heard by this subscription.
        subscription.InterruptIfDisconnected();
        return subscription;
    }

    internal void Remove(RedisBusSubscription subscription)
    {
        lock (_subscriptionsLock)
        {
            _subscriptions.Remove(subscription);
        }
    }

    internal ILogger Logger => _logger;

    /// <summary>
    /// The Redis edge of a subscription: a channel message becomes a typed event for <paramref name="sink"/>, or a drop
    /// with its reason. A traced publish's context comes before the envelope (<see cref="TraceContextFrame"/>).
    /// </summary>
    internal void Read(string bomId, ReadOnlyMemory<byte> message, IBusSubscriptionSink sink)
    {
        TraceContextFrame.TrySplit(message, out var traceParent, out var json);
        if (ChannelMessageReader.TryRead(bomId, json, _busOptions.MaxEventBytes, out var dropReason) is { } busEvent)
        {
            sink.OnEvent(busEvent, traceParent.Span);
        }
        else
        {
            sink.OnDropped(dropReason!);
        }
    }

    private BusEvent? ReadStored(string bomId, RedisKey key, RedisValue json)
    {
        if (json.IsNull)
        {
            RedisBusLog.CorruptStoredEvent(_logger, bomId, key.ToString(), "missing envelope");
            return null;
        }

        // Stored entries are the bus's own envelopes, so the reader's fast path passes the bytes through unchanged.
        var busEvent = ChannelMessageReader.TryRead(bomId, (ReadOnlyMemory<byte>)json, int.MaxValue, out var reason);
        if (busEvent is null || !busEvent.HasLogId)
        {
            RedisBusLog.CorruptStoredEvent(_logger, bomId, key.ToString(), reason ?? "not a logged event");
            return null;
        }

        return busEvent;
    }

    internal static bool IsUnavailable(Exception ex) => RedisTransientErrors.IsTransient(ex);

    private BusUnavailableException Unavailable(string operation, string bomId, Exception ex)
    {
        RedisBusLog.Unavailable(_logger, operation, bomId, ex);
        return new BusUnavailableException(
            string.Create(CultureInfo.InvariantCulture, $"Redis is unavailable ({operation})."), ex);
    }
}
