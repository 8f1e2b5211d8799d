namespace NotificationHub.Jobs.Redis;

/// <summary>The queue's Lua scripts: each step that must be atomic is one script.</summary>
internal static class RedisJobQueueScripts
{
    /// <summary>KEYS: active, job. ARGV: job id, reservation ms. Returns the BOM's active job id (ours when reserved).</summary>
    public const string Reserve = """
        local current = redis.call('GET', KEYS[1])
        if current then return current end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('HSET', KEYS[2], 'processed', 0, 'enriched', 0, 'errors', 0)
        return ARGV[1]
        """;

    /// <summary>KEYS: active, items, stream. ARGV: job id, job JSON, items JSON. Makes a reserved job visible; 0 when the reservation expired.</summary>
    public const string Submit = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PERSIST', KEYS[1])
        redis.call('SET', KEYS[2], ARGV[3])
        redis.call('XADD', KEYS[3], '*', 'job', ARGV[2])
        return 1
        """;

    /// <summary>KEYS: active, job. ARGV: job id. Frees a reservation whose <c>started</c> could not be published.</summary>
    public const string Release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        redis.call('DEL', KEYS[2])
        return 1
        """;

    /// <summary>KEYS: job. ARGV: consumer. Takes ownership; returns processed, enriched, errors, cancelled.</summary>
    public const string Own = """
        redis.call('HSET', KEYS[1], 'owner', ARGV[1])
        return redis.call('HMGET', KEYS[1], 'processed', 'enriched', 'errors', 'cancelled')
        """;

    /// <summary>
    /// KEYS: job. ARGV: consumer, processed, enriched, errors. Only the owner writes: -1 when another worker owns
    /// the job now, 1 when it is cancelled, 0 otherwise.
    /// </summary>
    public const string Checkpoint = """
        if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return -1 end
        redis.call('HSET', KEYS[1], 'processed', ARGV[2], 'enriched', ARGV[3], 'errors', ARGV[4])
        if redis.call('HGET', KEYS[1], 'cancelled') == '1' then return 1 end
        return 0
        """;

    /// <summary>
    /// KEYS: stream, job. ARGV: consumer, group, entry id. Keeps the owner's pending entry fresh (resets its idle
    /// time). Same answers as <see cref="Checkpoint"/>: a worker that lost the job does not steal the entry back.
    /// </summary>
    public const string Heartbeat = """
        if redis.call('HGET', KEYS[2], 'owner') ~= ARGV[1] then return -1 end
        redis.call('XCLAIM', KEYS[1], ARGV[2], ARGV[1], 0, ARGV[3], 'JUSTID')
        if redis.call('HGET', KEYS[2], 'cancelled') == '1' then return 1 end
        return 0
        """;

    /// <summary>KEYS: stream, active, job. ARGV: group, entry id, job id, retention ms. The job is done.</summary>
    public const string Complete = """
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
        redis.call('PEXPIRE', KEYS[3], ARGV[4])
        return 1
        """;

    /// <summary>
    /// KEYS: stream, job. ARGV: consumer, group, entry id, idle ms. A stopping owner gives the job back: the entry
    /// is marked long idle so the next worker takes it over at once, not after the claim idle time.
    /// </summary>
    public const string GiveBack = """
        if redis.call('HGET', KEYS[2], 'owner') ~= ARGV[1] then return 0 end
        redis.call('HDEL', KEYS[2], 'owner')
        redis.call('XCLAIM', KEYS[1], ARGV[2], ARGV[1], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
        return 1
        """;
}
