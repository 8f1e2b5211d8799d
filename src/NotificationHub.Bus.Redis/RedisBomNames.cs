using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// The names one publish of a BOM uses (its owner, log and meta keys and its channel name), built once by
/// <see cref="RedisBusNames.ForBom"/> and reused by the BOM's following publishes.
/// </summary>
public sealed class RedisBomNames
{
    internal RedisBomNames(string bomId, bool sharded, RedisKey ownerKey, RedisKey logKey, RedisKey metaKey, string channelName)
    {
        BomId = bomId;
        Sharded = sharded;
        OwnerKey = ownerKey;
        LogKey = logKey;
        MetaKey = metaKey;
        ChannelName = channelName;
    }

    /// <summary>The BOM.</summary>
    public string BomId { get; }

    /// <summary>Whether <see cref="ChannelName"/> is the shard channel's.</summary>
    public bool Sharded { get; }

    /// <summary><see cref="RedisBusNames.OwnerKey"/> of the BOM.</summary>
    public RedisKey OwnerKey { get; }

    /// <summary><see cref="RedisBusNames.LogKey"/> of the BOM.</summary>
    public RedisKey LogKey { get; }

    /// <summary><see cref="RedisBusNames.MetaKey"/> of the BOM.</summary>
    public RedisKey MetaKey { get; }

    /// <summary><see cref="RedisBusNames.ChannelName(string, bool)"/> of the BOM.</summary>
    public string ChannelName { get; }
}
