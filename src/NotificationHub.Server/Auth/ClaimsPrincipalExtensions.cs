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
    /// <remarks>
    /// Runs for every publish request (the policy and the token check): the scope string is scanned in place
    /// rather than split into an array per claim. <see cref="ClaimsPrincipal.FindAll(string)"/> is kept, so the
    /// identity decides how claim types compare, as before.
    /// </remarks>
    public static bool HasScope(this ClaimsPrincipal user, string scope)
    {
        if (scope.Length == 0)
        {
            return false; // Split(RemoveEmptyEntries) never yielded an empty scope
        }

        foreach (var claim in user.FindAll(ClaimNames.Scope))
        {
            var value = claim.Value.AsSpan();
            foreach (var range in value.Split(' '))
            {
                if (value[range].SequenceEqual(scope))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The token's expiry, or null when it has none.</summary>
    public static DateTimeOffset? GetExpiry(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirst(ClaimNames.Expiry)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp)
            ? DateTimeOffset.FromUnixTimeSeconds(exp)
            : null;

    /// <summary>The subject, for logs.</summary>
    public static string GetSubject(this ClaimsPrincipal user) =>
        user.FindFirst(ClaimNames.Subject)?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "?";
}
