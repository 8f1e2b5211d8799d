namespace NotificationHub.LoadTest;

/// <summary>One garbage collection of the server: its generation, how long threads were stopped, and of that, suspending them.</summary>
internal readonly record struct GcPause(int Generation, double PauseMs, double SuspendMs);
