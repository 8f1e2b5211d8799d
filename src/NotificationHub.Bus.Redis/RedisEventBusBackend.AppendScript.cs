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
    internal static readonly string AppendScript = EmbeddedLua.Load("append.lua");
}
