namespace NotificationHub.Bus.InMemory;

/// <summary>One BOM's state in the in-memory backend. All fields are guarded by <see cref="Gate"/>.</summary>
internal sealed class InMemoryBom
{
    public Lock Gate { get; } = new();

    public string? Owner { get; set; }

    public Queue<BusEvent> Log { get; } = new();

    public BusEvent? Latest { get; set; }

    public EventLogId LastId { get; set; }

    /// <summary>When a finished BOM's log and snapshot are dropped.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    public List<IBusSubscriptionSink> Subscribers { get; } = [];
}
