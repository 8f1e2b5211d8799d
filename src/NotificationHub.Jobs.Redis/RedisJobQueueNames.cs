using StackExchange.Redis;

namespace NotificationHub.Jobs.Redis;

/// <summary>Every Redis key of the job queue, built in one place.</summary>
/// <param name="prefix">The <see cref="RedisJobQueueOptions.KeyPrefix"/>.</param>
internal sealed class RedisJobQueueNames(string prefix)
{
    /// <summary>The stream of jobs, read by the consumer group.</summary>
    public RedisKey Stream { get; } = prefix + "stream";

    /// <summary>The BOM's active (reserved, queued or running) job id: one at a time.</summary>
    public RedisKey Active(string bomId) => prefix + "active:" + bomId;

    /// <summary>The BOM's last items (JSON), for a re-enrich without a body.</summary>
    public RedisKey Items(string bomId) => prefix + "items:" + bomId;

    /// <summary>A job's hash: checkpoint <c>processed/enriched/errors</c>, <c>owner</c>, <c>cancelled</c>.</summary>
    public RedisKey Job(string jobId) => prefix + "job:" + jobId;
}
