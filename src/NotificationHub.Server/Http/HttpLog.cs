namespace NotificationHub.Server.Http;

/// <summary>Log messages of the HTTP API's shared request handling.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(LogEventIds.HttpBodyRefused, LogLevel.Information, "Request body refused: {Status} {Code} for {Method} {Path}")]
    public static partial void BodyRefused(ILogger logger, int status, string code, string method, string path);

    [LoggerMessage(LogEventIds.HttpBomIdRefused, LogLevel.Information, "Request refused: {Status} {Code} for {Method} of BOM id {BomId}")]
    public static partial void Refused(ILogger logger, int status, string code, string method, string bomId);
}
