using System.Globalization;
using System.Security.Claims;

namespace NotificationHub.Server.Auth;

/// <summary>Reads NotificationHub's claims from a validated token.</summary>
public static class ClaimsPrincipalExtensions
{
    /// <summary>The caller's tenant, or null.</summary>
    public static string? GetTenantId(this ClaimsPrincipal user, string tenantClaim) =>
        user.FindFirst(tenantClaim)?.Value is { Length: > 0 } tenant ? tenant : null;

    /// <summary>True when the token's space-separated <c>scope</c> contains <paramref name="scope"/>.</summary>
    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.FindAll(ClaimNames.Scope).Any(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(scope, StringComparer.Ordinal));

    /// <summary>The token's expiry, or null when it has none.</summary>
    public static DateTimeOffset? GetExpiry(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirst(ClaimNames.Expiry)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp)
            ? DateTimeOffset.FromUnixTimeSeconds(exp)
            : null;

    /// <summary>The subject, for logs.</summary>
    public static string GetSubject(this ClaimsPrincipal user) =>
        user.FindFirst(ClaimNames.Subject)?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "?";
}
