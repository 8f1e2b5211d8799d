namespace NotificationHub.Bus;

/// <summary>What <see cref="TopicRing.TryRead"/> found at a sequence.</summary>
internal enum RingRead
{
    /// <summary>Not written yet: the reader is up to date.</summary>
    None,

    /// <summary>The event.</summary>
    Event,

    /// <summary>The reader fell more than the ring's capacity behind (or its event was overwritten): a slow consumer.</summary>
    Behind,
}
