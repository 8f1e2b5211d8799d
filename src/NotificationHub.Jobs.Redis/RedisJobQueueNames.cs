using StackExchange.Redis;

namespace NotificationHub.Jobs.Redis;

/// <summary>Every Redis key of the job queue, built in one place.</summary>
/// <remarks>
/// Every key is the prefix followed by a fixed name and maybe a BOM or job id. The prefix carries a hash tag
/// (<see cref="HasHashTag"/>), and Redis hashes only the first <c>{...}</c> of a key, so whatever follows the
/// prefix (BOM ids never contain braces, job ids are hex) cannot move a key to another slot.
/// </remarks>
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

    /// <summary>
    /// True when <paramref name="prefix"/> holds a complete, non-empty hash tag: a <c>{</c> followed later by a
    /// <c>}</c> with at least one character between them. Redis Cluster then hashes every key of the queue by that
    /// tag alone (one slot), which the multi-key scripts need.
    /// </summary>
    public static bool HasHashTag(string? prefix)
    {
        var open = prefix?.IndexOf('{', StringComparison.Ordinal) ?? -1;
        return open >= 0 && prefix!.IndexOf('}', open + 1) > open + 1;
    }
}
