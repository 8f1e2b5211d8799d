using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Bus.Redis;

/// <summary>Settings of the Redis backend, bound from the <c>Redis</c> configuration section.</summary>
public sealed class RedisBusOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Redis";

    /// <summary>
    /// StackExchange.Redis connection string. When null or empty the Redis backend is not registered and the
    /// bus runs on the embedded in-memory backend.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Prefix of a BOM's pub/sub channel: the channel is <c>{ChannelPrefix}{bomId}</c> (the guide's <c>enrichment:bom:</c>),
    /// or with sharded pub/sub the shard channel <c>{ChannelPrefix}{{bomId}}</c>, whose hash tag puts it in the slot of the BOM's keys.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    [MaxLength(256)]
    public string ChannelPrefix { get; set; } = "enrichment:bom:";

    /// <summary>
    /// When set (legacy workers use <c>enrichment:</c>), each watched BOM is also subscribed on
    /// <c>{LegacyChannelPrefix}{bomId}</c> (always a classic channel) and those messages are read like the primary
    /// channel's, so workers that still PUBLISH the legacy way reach subscribers during a migration. With sharded pub/sub,
    /// <c>enrichment:bom:</c> keeps accepting producers that PUBLISH on the classic channel. Null disables it.
    /// </summary>
    [MaxLength(256)]
    public string? LegacyChannelPrefix { get; set; }

    /// <summary>Prefix of every key the backend writes (replay log, snapshot, owner).</summary>
    [Required(AllowEmptyStrings = false)]
    [MaxLength(256)]
    public string KeyPrefix { get; set; } = "notificationhub:bom:";

    /// <summary>
    /// After a publish, when the BOM's master has connected replicas, how long to wait (<c>WAIT 1</c>, one per master in
    /// flight, covering every append before it) for one of them to acknowledge the event before answering: a 202 then
    /// means the event survives a failover, and the event is published live only then. No replica acknowledging in
    /// time answers 503 (the publisher retries with its idempotency key). A master without replicas is not waited
    /// for. <c>00:00:00</c> never waits (a failover may then lose acknowledged events).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan ReplicaAckTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Sharded pub/sub for BOM channels: <c>Auto</c> (default) uses it on Redis Cluster, where a classic PUBLISH reaches
    /// every node of the cluster, and classic pub/sub on a single server or Sentinel; <c>On</c> / <c>Off</c> force it.
    /// Every node and publisher of a deployment must use the same.
    /// </summary>
    public RedisShardedPubSub ShardedPubSub { get; set; } = RedisShardedPubSub.Auto;
}
