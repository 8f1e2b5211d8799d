namespace NotificationHub.Bus.Redis;

/// <content>The append script: one atomic step per publish (log, snapshot, ownership, idempotency, retention, publish).</content>
public sealed partial class RedisEventBusBackend
{
    /// <summary>
    /// Appends one event atomically. KEYS: owner, log, meta, and the idempotency key when the publish has one.
    /// ARGV: tenant, template, max log length, channel, terminal ("1"/"0"), finished retention ms, idle retention ms,
    /// count replicas ("1"/"0"), idempotency window ms, publish command (<c>PUBLISH</c>, or <c>SPUBLISH</c> for the
    /// BOM's shard channel, which is in the keys' slot), and optionally the publish span's <c>traceparent</c>, which
    /// then precedes the envelope on the channel (<see cref="TraceContextFrame"/>; the log and snapshot keep the bare
    /// envelope). Returns <c>{id, repeat, replicas}</c>: the log id (of the
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
    /// when that was made on another connection. The live publish happens here only when the master has no replica
    /// (counted, or not counted): with replicas the event is published after a replica acknowledged it
    /// (<see cref="ReplicaAckGroup"/>), so no client sees an event a failover takes back. The meta hash's <c>pub</c>
    /// field is the last id published; entries between it and this one (left by a timed-out acknowledgement) are
    /// published first, so the channel stays in log order.
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
        if ARGV[11] then
          -- A traced publish keeps its traceparent beside the envelope (field t), for a live publish after the ack.
          redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'e', json, 't', ARGV[11])
        else
          redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'e', json)
        end
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
        if replicas == 0 then
          local pub = redis.call('HGET', KEYS[3], 'pub')
          if pub and #last > 0 and pub ~= last[1][1] then
            for _, e in ipairs(redis.call('XRANGE', KEYS[2], '(' .. pub, '(' .. id)) do
              if e[2][4] then
                redis.call(ARGV[10], ARGV[4], e[2][4] .. '\n' .. e[2][2])
              else
                redis.call(ARGV[10], ARGV[4], e[2][2])
              end
            end
          end
          -- ARGV[11]: the publish's optional traceparent, framed before the envelope on the channel only (tracing).
          if ARGV[11] then
            redis.call(ARGV[10], ARGV[4], ARGV[11] .. '\n' .. json)
          else
            redis.call(ARGV[10], ARGV[4], json)
          end
          redis.call('HSET', KEYS[3], 'pub', id)
        end
        return {id, 0, replicas}
        """;
}
