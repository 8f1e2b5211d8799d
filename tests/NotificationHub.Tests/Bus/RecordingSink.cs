using NotificationHub.Bus;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// A backend subscription's sink for tests: passes each event's envelope JSON (or <c>dropped: {reason}</c>) to a
/// callback and counts interruptions and restores.
/// </summary>
public sealed class RecordingSink(Action<string>? onMessage = null) : IBusSubscriptionSink
{
    private int _interruptions;
    private int _restores;

    /// <summary>Times the backend reported this subscription interrupted.</summary>
    public int Interruptions => Volatile.Read(ref _interruptions);

    /// <summary>Times the backend reported it restored.</summary>
    public int Restores => Volatile.Read(ref _restores);

    /// <inheritdoc />
    public void OnEvent(BusEvent busEvent, ReadOnlySpan<byte> traceParent) => onMessage?.Invoke(System.Text.Encoding.UTF8.GetString(busEvent.Json.Span));

    /// <inheritdoc />
    public void OnDropped(string reason) => onMessage?.Invoke($"dropped: {reason}");

    /// <inheritdoc />
    public void OnInterrupted() => Interlocked.Increment(ref _interruptions);

    /// <inheritdoc />
    public void OnRestored() => Interlocked.Increment(ref _restores);
}
