using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// Builds every Redis key and channel name the backend uses, so the layout is defined in one place.
/// </summary>
/// <remarks>
/// Keys of one BOM carry the BOM id as a hash tag (<c>{KeyPrefix}{{bomId}}:log</c>): the publish script touches
/// the owner, log and meta keys together, and on Redis Cluster a script may only touch keys of one slot.
/// BOM ids never contain braces (see <see cref="Contracts.BomIds"/>), so the tag is always exactly the id.
/// </remarks>
public sealed class RedisBusNames
{
    // Direct-mapped by the BOM id's hash: a hit costs no allocation (four strings per publish before), the memory
    // stays bounded however many BOMs a node publishes for, and a collision only builds the names again.
    private const int CachedBoms = 512;

    private readonly RedisBusOptions _options;
    private readonly RedisBomNames?[] _cache = new RedisBomNames?[CachedBoms];

    /// <summary>Creates the names for the given options.</summary>
    public RedisBusNames(RedisBusOptions options) => _options = options;

    /// <summary>The keys and channel name a publish of <paramref name="bomId"/> uses, from a small cache of recent BOMs.</summary>
    public RedisBomNames ForBom(string bomId, bool sharded)
    {
        ref var slot = ref _cache[(int)((uint)bomId.GetHashCode() % CachedBoms)];
        var names = Volatile.Read(ref slot);
        if (names is null || names.Sharded != sharded || !string.Equals(names.BomId, bomId, StringComparison.Ordinal))
        {
            names = new RedisBomNames(bomId, sharded, OwnerKey(bomId), LogKey(bomId), MetaKey(bomId), ChannelName(bomId, sharded));
            Volatile.Write(ref slot, names);
        }

        return names;
    }

    /// <summary>The BOM's replay log: a Redis Stream whose entries hold the envelope JSON in field <see cref="LogEntryField"/>.</summary>
    public RedisKey LogKey(string bomId) => $"{_options.KeyPrefix}{{{bomId}}}:log";

    /// <summary>The BOM's snapshot hash (field <see cref="LatestField"/>: the latest envelope JSON).</summary>
    public RedisKey MetaKey(string bomId) => $"{_options.KeyPrefix}{{{bomId}}}:meta";

    /// <summary>The BOM's owning tenant. Never expires, so a finished BOM cannot be claimed by another tenant after retention.</summary>
    public RedisKey OwnerKey(string bomId) => $"{_options.KeyPrefix}{{{bomId}}}:owner";

    /// <summary>
    /// A publisher's idempotency key on the BOM (value: the event id it appended; expires after the idempotency
    /// window). In the BOM's slot, so the publish script checks and records it atomically with the append. The key
    /// is printable ASCII; braces in it do not move the slot (only the first <c>{...}</c> counts, the BOM's).
    /// </summary>
    public RedisKey IdempotencyKey(string bomId, string key) => $"{_options.KeyPrefix}{{{bomId}}}:idem:{key}";

    /// <summary>The BOM's pub/sub channel: the classic one taken literally (never as a pattern), or the shard channel.</summary>
    public RedisChannel Channel(string bomId, bool sharded) =>
        sharded ? RedisChannel.Sharded(ShardedChannelName(bomId)) : RedisChannel.Literal(ChannelName(bomId));

    /// <summary>The BOM's classic channel name (single server, Sentinel): <c>{ChannelPrefix}{bomId}</c>.</summary>
    public string ChannelName(string bomId) => _options.ChannelPrefix + bomId;

    /// <summary>
    /// The BOM's shard channel name (Redis Cluster): <c>{ChannelPrefix}{{bomId}}</c>. Its hash tag is the one of the
    /// BOM's keys, so the publish script may SPUBLISH it in the slot it runs in.
    /// </summary>
    public string ShardedChannelName(string bomId) => string.Concat(_options.ChannelPrefix, "{", bomId, "}");

    /// <summary>The name of <see cref="Channel"/>: what the publish script publishes on.</summary>
    public string ChannelName(string bomId, bool sharded) => sharded ? ShardedChannelName(bomId) : ChannelName(bomId);

    /// <summary>The legacy workers' channel of the BOM, or null when <see cref="RedisBusOptions.LegacyChannelPrefix"/> is not set.</summary>
    public RedisChannel? LegacyChannel(string bomId) =>
        string.IsNullOrEmpty(_options.LegacyChannelPrefix) ? (RedisChannel?)null : RedisChannel.Literal(_options.LegacyChannelPrefix + bomId);

    /// <summary>Field of a log entry holding the envelope JSON.</summary>
    public const string LogEntryField = "e";

    /// <summary>Field of the meta hash holding the latest envelope JSON.</summary>
    public const string LatestField = "latest";
}
