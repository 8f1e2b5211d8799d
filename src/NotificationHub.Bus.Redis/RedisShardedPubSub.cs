namespace NotificationHub.Bus.Redis;

/// <summary>Whether BOM channels use sharded pub/sub (<c>SPUBLISH</c>/<c>SSUBSCRIBE</c>, Redis 7+): <see cref="RedisBusOptions.ShardedPubSub"/>.</summary>
public enum RedisShardedPubSub
{
    /// <summary>Sharded on Redis Cluster (when its servers support it), classic on a single server or Sentinel.</summary>
    Auto,

    /// <summary>Always sharded.</summary>
    On,

    /// <summary>Always classic <c>PUBLISH</c>/<c>SUBSCRIBE</c> (on a cluster every publish then reaches every node).</summary>
    Off,
}
