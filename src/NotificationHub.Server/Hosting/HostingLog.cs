namespace NotificationHub.Server.Hosting;

/// <summary>Log messages of the node's start and stop.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(600, LogLevel.Warning, "{Signal}: the node is draining (readiness 503) and keeps serving for {DelaySeconds} s")]
    public static partial void Draining(ILogger logger, string signal, double delaySeconds);

    [LoggerMessage(601, LogLevel.Warning, "Stopping ({Cause}): SSE streams end with server_shutdown, hub connections close")]
    public static partial void Stopping(ILogger logger, string cause);
}
