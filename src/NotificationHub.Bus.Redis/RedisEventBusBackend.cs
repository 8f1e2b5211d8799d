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
public sealed class RedisEventBusBackend : IEventBusBackend
{
    /// <summary>
    /// Appends one event atomically. KEYS: owner, log, meta, and the idempotency key when the publish has one.
    /// ARGV: tenant, template, max log length, channel, terminal ("1"/"0"), finished retention ms, idle retention ms,
    /// count replicas ("1"/"0"), idempotency window ms. Returns <c>{id, repeat, replicas}</c>: the log id (of the
    /// first publish when <c>repeat</c> is 1), and the master's connected replicas (0 unless counted); or false (a
    /// null reply) when another tenant owns the BOM.
    /// </summary>
    /// <remarks>
    /// The entry must contain its own id, so the script picks the id itself instead of <c>XADD *</c>, by the same
    /// rule Redis uses for <c>*</c>: the server clock in ms, or the last id's sequence + 1 when the clock has not
    /// moved past it. The id is then spliced into the template exactly as <see cref="EnvelopeTemplate.WithEventId"/>
    /// does: the template starts with the 14 bytes <c>{"event_id":""</c>; the result is the first 13 (up to and
    /// including the opening quote), the id, then the template from its 14th byte (the closing quote) on.
    /// Trimming is approximate (<c>MAXLEN ~</c>, cheap); <see cref="ReadAfterAsync"/> enforces the exact length.
    /// Every event sets the retention of log and meta: idle retention after a non-terminal one, finished after a
    /// terminal one, so a BOM that never finishes does not stay forever. The replica count comes from
    /// <c>INFO replication</c> in the same call, so deciding whether to <c>WAIT</c> costs no round trip. A repeat
    /// writes its key again (same value and expiry): the <c>WAIT</c> that follows then covers the first append even
    /// when that was made on another connection.
    /// </remarks>
    internal const string AppendScript = """
        local owner = redis.call('GET', KEYS[1])
        if not owner then
          redis.call('SET', KEYS[1], ARGV[1])
        elseif owner ~= ARGV[1] then
          return false
        end
        local replicas = 0
        if ARGV[8] == '1' then
          replicas = tonumber(string.match(redis.call('INFO', 'replication'), 'connected_slaves:(%d+)')) or 0
        end
        if KEYS[4] then
          local first = redis.call('GET', KEYS[4])
          if first then
            if replicas > 0 then
              redis.call('SET', KEYS[4], first, 'KEEPTTL')
            end
            return {first, 1, replicas}
          end
        end
        local t = redis.call('TIME')
        local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local id = string.format('%.0f', ms) .. '-0'
        local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
        if #last > 0 then
          local lms, lseq = string.match(last[1][1], '^(%d+)%-(%d+)$')
          if ms <= tonumber(lms) then
            id = lms .. '-' .. string.format('%.0f', tonumber(lseq) + 1)
          end
        end
        local json = '{"event_id":"' .. id .. string.sub(ARGV[2], 14)
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'e', json)
        redis.call('HSET', KEYS[3], 'latest', json)
        local retention = ARGV[7]
        if ARGV[5] == '1' then
          retention = ARGV[6]
        end
        redis.call('PEXPIRE', KEYS[2], retention)
        redis.call('PEXPIRE', KEYS[3], retention)
        if KEYS[4] then
          redis.call('SET', KEYS[4], id, 'PX', ARGV[9])
        end
        redis.call('PUBLISH', ARGV[4], json)
        return {id, 0, replicas}
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisBusOptions _options;
    private readonly EventBusOptions _busOptions;
    private readonly RedisBusNames _names;
    private readonly ILogger _logger;
    private int _failures;

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
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
    }

    /// <inheritdoc />
    public event EventHandler? LiveDeliveryInterrupted;

    /// <inheritdoc />
    public event EventHandler? LiveDeliveryRestored;

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            Interlocked.Increment(ref _failures);
            LiveDeliveryInterrupted?.Invoke(this, EventArgs.Empty);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            _ = AnnounceRestoredAsync();
        }
    }

    /// <summary>
    /// The library re-sends every SUBSCRIBE on the new subscription connection before it reports the restore; a
    /// PING on that same connection is answered after them, so once it is, no message published from then on can
    /// be missed, and the bus's re-read of the log closes the gap before it.
    /// </summary>
    private async Task AnnounceRestoredAsync()
    {
        var subscriber = _redis.GetSubscriber();
        var failures = Volatile.Read(ref _failures);

        // Until it works, unless the connection fails again meanwhile (its own restore announces it then).
        while (Volatile.Read(ref _failures) == failures)
        {
            try
            {
                await subscriber.PingAsync().WaitAsync(TimeSpan.FromSeconds(5));
                RedisBusLog.SubscriptionsRestored(_logger);
                LiveDeliveryRestored?.Invoke(this, EventArgs.Empty);
                return;
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
            catch (ObjectDisposedException)
            {
                return; // the node is shutting down
            }
        }
    }

    /// <summary>The key and channel names this backend uses.</summary>
    public RedisBusNames Names => _names;

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public async ValueTask<BusEvent> AppendAsync(PendingEvent pending, CancellationToken cancellationToken)
    {
        // Checked here because the script splices blindly: a malformed template would be stored before C# noticed.
        if (!pending.JsonTemplate.Span.StartsWith("{\"event_id\":\"\""u8))
        {
            throw new ArgumentException("The template does not start with an empty event_id.", nameof(pending));
        }

        var bomId = pending.BomId;
        var db = Db;
        var logKey = _names.LogKey(bomId);
        RedisKey[] keys = pending.IdempotencyKey is { } idempotencyKey
            ? [_names.OwnerKey(bomId), logKey, _names.MetaKey(bomId), _names.IdempotencyKey(bomId, idempotencyKey)]
            : [_names.OwnerKey(bomId), logKey, _names.MetaKey(bomId)];
        var ackTimeout = _options.ReplicaAckTimeout;
        RedisResult result;
        try
        {
            result = await db.ScriptEvaluateAsync(
                AppendScript,
                keys,
                [
                    pending.TenantId,
                    pending.JsonTemplate,
                    _busOptions.ReplayLogMaxLength,
                    _names.ChannelName(bomId),
                    pending.IsTerminal ? "1" : "0",
                    (long)_busOptions.FinishedRetention.TotalMilliseconds,
                    (long)_busOptions.IdleRetention.TotalMilliseconds,
                    ackTimeout > TimeSpan.Zero ? "1" : "0",
                    (long)pending.IdempotencyWindow.TotalMilliseconds,
                ]).WaitAsync(cancellationToken);
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
            await WaitForReplicaAsync(db, logKey, bomId, ackTimeout, cancellationToken);
        }

        // Same bytes as the script built (a test holds the two splices equal); avoids sending the JSON back.
        return new BusEvent(eventId, pending.EventType, bomId, pending.TenantId,
            EnvelopeTemplate.WithEventId(pending.JsonTemplate.Span, eventId));
    }

    /// <summary>
    /// Waits until a replica of the master that ran the append acknowledged it (<c>WAIT 1</c>), so that the 202 holds
    /// through a failover. Runs on that master's interactive connection, the one the script went over: <c>WAIT</c>
    /// covers the writes of its own connection.
    /// </summary>
    /// <exception cref="BusUnavailableException">No replica acknowledged within the timeout, or the master failed.</exception>
    private async Task WaitForReplicaAsync(IDatabase db, RedisKey key, string bomId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long acknowledged;
        try
        {
            var server = _redis.GetServer(db.IdentifyEndpoint(key)
                ?? throw new RedisConnectionException(ConnectionFailureType.UnableToResolvePhysicalConnection, "No endpoint for the BOM's key."));
            acknowledged = (long)await server.ExecuteAsync("WAIT", 1, (long)timeout.TotalMilliseconds).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("wait for a replica", bomId, ex);
        }

        if (acknowledged < 1)
        {
            RedisBusLog.NotReplicated(_logger, bomId, (long)timeout.TotalMilliseconds);
            throw new BusUnavailableException("No replica acknowledged the event in time; retry with the same idempotency key.");
        }
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
    public async ValueTask<IAsyncDisposable> SubscribeAsync(string bomId, Action<ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken)
    {
        var subscriber = _redis.GetSubscriber();
        var channels = _names.LegacyChannel(bomId) is { } legacy ? new[] { _names.Channel(bomId), legacy } : [_names.Channel(bomId)];

        // Each queue calls its handler in order, one message at a time. With the legacy channel there are two
        // queues; the gate keeps the interface's promise that one subscription's callback never runs concurrently.
        var gate = new Lock();
        var queues = new List<ChannelMessageQueue>(channels.Length);
        try
        {
            foreach (var channel in channels)
            {
                // Completes once the server confirmed the subscription: the bus reads the log only after this,
                // which is what makes its replay/live seam exact.
                // Not abandoned on cancellation (the library's own timeout bounds it): an abandoned subscribe would
                // complete later with nobody to unsubscribe it.
                var queue = await subscriber.SubscribeAsync(channel);
                queues.Add(queue);
                queue.OnMessage(message =>
                {
                    lock (gate)
                    {
                        onMessage((ReadOnlyMemory<byte>)message.Message);
                    }
                });
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (Exception ex)
        {
            try
            {
                await UnsubscribeAllAsync(queues);
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

        return new Subscription(queues);
    }

    private static async ValueTask UnsubscribeAllAsync(List<ChannelMessageQueue> queues)
    {
        foreach (var queue in queues)
        {
            // Unsubscribes this queue only: another subscription to the same channel on this multiplexer stays.
            await queue.UnsubscribeAsync();
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

    private static bool IsUnavailable(Exception ex) => RedisTransientErrors.IsTransient(ex);

    private BusUnavailableException Unavailable(string operation, string bomId, Exception ex)
    {
        RedisBusLog.Unavailable(_logger, operation, bomId, ex);
        return new BusUnavailableException(
            string.Create(CultureInfo.InvariantCulture, $"Redis is unavailable ({operation})."), ex);
    }

    private sealed class Subscription(List<ChannelMessageQueue> queues) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? UnsubscribeAllAsync(queues) : ValueTask.CompletedTask;
    }
}
