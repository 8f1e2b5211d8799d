namespace NotificationHub.Server.Hosting;

/// <summary>Log messages of the node's start and stop.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(LogEventIds.HostingStarted, LogLevel.Information, "Application started ({Environment}). Press Ctrl+C to shut down (drain delay {DrainDelaySeconds} s)")]
    public static partial void Started(ILogger logger, string environment, double drainDelaySeconds);

    [LoggerMessage(LogEventIds.HostingDraining, LogLevel.Warning, "{Signal}: the node is draining (readiness 503) and keeps serving for {DelaySeconds} s")]
    public static partial void Draining(ILogger logger, string signal, double delaySeconds);

    [LoggerMessage(LogEventIds.HostingStopping, LogLevel.Warning, "Stopping ({Cause}): SSE streams end with server_shutdown, hub connections close")]
    public static partial void Stopping(ILogger logger, string cause);
}
