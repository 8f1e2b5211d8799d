namespace NotificationHub.Jobs.Redis;

/// <summary>The queue's Lua scripts: each step that must be atomic is one script.</summary>
internal static class RedisJobQueueScripts
{
    /// <summary>KEYS: active, job. ARGV: job id, reservation ms. Returns the BOM's active job id (ours when reserved).</summary>
    public static readonly string Reserve = EmbeddedLua.Load("reserve.lua");

    /// <summary>KEYS: active, items, stream. ARGV: job id, job JSON, items JSON. Makes a reserved job visible; 0 when the reservation expired.</summary>
    public static readonly string Submit = EmbeddedLua.Load("submit.lua");

    /// <summary>KEYS: active, job. ARGV: job id. Frees a reservation whose <c>started</c> could not be published.</summary>
    public static readonly string Release = EmbeddedLua.Load("release.lua");

    /// <summary>KEYS: job. ARGV: consumer. Takes ownership; returns processed, enriched, errors, cancelled.</summary>
    public static readonly string Own = EmbeddedLua.Load("own.lua");

    /// <summary>
    /// KEYS: job. ARGV: consumer, processed, enriched, errors. Only the owner writes: -1 when another worker owns
    /// the job now, 1 when it is cancelled, 0 otherwise.
    /// </summary>
    public static readonly string Checkpoint = EmbeddedLua.Load("checkpoint.lua");

    /// <summary>
    /// KEYS: stream, job. ARGV: consumer, group, entry id. Keeps the owner's pending entry fresh (resets its idle
    /// time). Same answers as <see cref="Checkpoint"/>: a worker that lost the job does not steal the entry back.
    /// </summary>
    public static readonly string Heartbeat = EmbeddedLua.Load("heartbeat.lua");

    /// <summary>KEYS: stream, active, job. ARGV: group, entry id, job id, retention ms. The job is done.</summary>
    public static readonly string Complete = EmbeddedLua.Load("complete.lua");

    /// <summary>
    /// KEYS: stream, job. ARGV: consumer, group, entry id, idle ms. A stopping owner gives the job back: the entry
    /// is marked long idle so the next worker takes it over at once, not after the claim idle time.
    /// </summary>
    public static readonly string GiveBack = EmbeddedLua.Load("give-back.lua");
}
