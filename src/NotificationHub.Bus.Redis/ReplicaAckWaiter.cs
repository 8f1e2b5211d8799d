using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// One appended event waiting in a <see cref="ReplicaAckGroup"/> for a replica's acknowledgement; <see cref="Done"/>
/// completes when it was acknowledged (and its live publish sent), or fails with the reason it was not.
/// </summary>
internal sealed class ReplicaAckWaiter(string bomId, RedisKey logKey, RedisKey metaKey, string channel, RedisValue command, string eventId)
{
    public string BomId { get; } = bomId;

    public RedisKey LogKey { get; } = logKey;

    public RedisKey MetaKey { get; } = metaKey;

    /// <summary>The BOM's channel name (a shard channel with <c>SPUBLISH</c>).</summary>
    public string Channel { get; } = channel;

    /// <summary><c>PUBLISH</c> or <c>SPUBLISH</c>.</summary>
    public RedisValue Command { get; } = command;

    public string EventId { get; } = eventId;

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
