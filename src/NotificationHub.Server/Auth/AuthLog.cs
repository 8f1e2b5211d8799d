namespace NotificationHub.Server.Auth;

/// <summary>Log messages of authentication. Tokens are never logged, only why they were refused.</summary>
internal static partial class AuthLog
{
    [LoggerMessage(LogEventIds.AuthTokenRefused, LogLevel.Information, "Token refused on {Path}: {Reason}")]
    public static partial void TokenRefused(ILogger logger, string path, string reason);
}
