namespace NotificationHub.Server.Demo;

/// <summary>Log messages of the demo page.</summary>
internal static partial class DemoLog
{
    [LoggerMessage(LogEventIds.DemoServing, LogLevel.Information, "Serving the demo page from {Folder}")]
    public static partial void Serving(ILogger logger, string folder);

    [LoggerMessage(LogEventIds.DemoBundleMissing, LogLevel.Information, "No demo page bundle found (wwwroot/index.html); / explains how to build it")]
    public static partial void BundleMissing(ILogger logger);
}
