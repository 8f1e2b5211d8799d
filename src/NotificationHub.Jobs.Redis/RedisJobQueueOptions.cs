using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Jobs.Redis;

/// <summary>Settings of the Redis job queue, bound from the <c>JobQueue</c> section; the connection is the bus's (<c>Redis:ConnectionString</c>).</summary>
public sealed class RedisJobQueueOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "JobQueue";

    /// <summary>
    /// Prefix of every key of the queue. It must contain a hash tag (a non-empty <c>{...}</c>): the scripts touch
    /// several keys at once, which Redis Cluster allows only within one slot, and the tag puts every key of the queue
    /// in the same slot. Checked at start (<see cref="RedisJobQueueNames.HasHashTag"/>), on every deployment, so a
    /// queue that works on one Redis keeps working when moved to a cluster.
    /// </summary>
    [Required]
    [MaxLength(256)]
    public string KeyPrefix { get; set; } = "{notificationhub:jobs}:";

    /// <summary>The consumer group every worker process joins.</summary>
    [Required]
    public string ConsumerGroup { get; set; } = "enrichment-workers";

    /// <summary>
    /// A job whose pending entry has not been refreshed for this long is taken over by another worker (its worker
    /// died). Live workers refresh their entries every third of it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks for new or orphaned jobs.</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a BOM stays reserved while its <c>started</c> is published; a start endpoint that dies in between frees it after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ReserveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the checkpoint of a finished job is kept (for diagnostics).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan FinishedRetention { get; set; } = TimeSpan.FromHours(1);
}
