namespace NotificationHub.LoadTest;

/// <summary>
/// One garbage collection of the server: its generation, how long threads were stopped, and of that, suspending them;
/// how long the collection itself ran (GC start to end), the part of its mark phase spent on each kind of root
/// (<see cref="GcMarkPhase"/>, indexed by <see cref="GcPause.MarkMs"/>), and the bytes it promoted out of gen0.
/// </summary>
internal readonly record struct GcPause(int Generation, double PauseMs, double SuspendMs, double CollectMs, double[] MarkMs,
    long PromotedGen0Bytes, long PromotedByCardsBytes);
