namespace NotificationHub.Bus.InMemory;

/// <summary>One BOM's state in the in-memory backend. All fields are guarded by <see cref="Gate"/>.</summary>
internal sealed class InMemoryBom
{
    public Lock Gate { get; } = new();

    public string? Owner { get; set; }

    public Queue<BusEvent> Log { get; } = new();

    public BusEvent? Latest { get; set; }

    public EventLogId LastId { get; set; }

    /// <summary>When the log and snapshot are dropped: <see cref="EventBusOptions.FinishedRetention"/> after a terminal event, <see cref="EventBusOptions.IdleRetention"/> after any other.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Idempotency keys used within their window, with the event id each one appended.</summary>
    public Dictionary<string, string> IdempotencyKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>The same keys in the order they expire (the window is one setting, so insertion order), for pruning.</summary>
    public Queue<(string Key, DateTimeOffset ExpiresAt)> IdempotencyExpiry { get; } = new();

    public List<IBusSubscriptionSink> Subscribers { get; } = [];
}
