using System.Globalization;
using System.Security.Claims;

namespace NotificationHub.Server.Auth;

/// <summary>Reads NotificationHub's claims from a validated token.</summary>
public static class ClaimsPrincipalExtensions
{
    /// <summary>The caller's tenant, or null.</summary>
    public static string? GetTenantId(this ClaimsPrincipal user, string tenantClaim) =>
        user is SlimPrincipal { Slim: var slim } && slim.TenantClaim == tenantClaim
            ? slim.TenantId
            : user.FindFirst(tenantClaim)?.Value is { Length: > 0 } tenant ? tenant : null;

    /// <summary>True when the token's space-separated <c>scope</c> contains <paramref name="scope"/>.</summary>
    /// <remarks>
    /// Runs for every publish request (the policy and the token check): a <see cref="SlimPrincipal"/>'s scopes are
    /// read from its fields; any other principal's <c>scope</c> claims through <see cref="ClaimsPrincipal.FindAll(string)"/>,
    /// so that identity decides how claim types compare. The scope strings are scanned in place, never split.
    /// </remarks>
    public static bool HasScope(this ClaimsPrincipal user, string scope)
    {
        if (scope.Length == 0)
        {
            return false; // Split(RemoveEmptyEntries) never yielded an empty scope
        }

        if (user is SlimPrincipal { Slim: var slim })
        {
            foreach (var value in slim.Scopes)
            {
                if (Contains(value, scope))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var claim in user.FindAll(ClaimNames.Scope))
        {
            if (Contains(claim.Value, scope))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The token's expiry, or null when it has none.</summary>
    public static DateTimeOffset? GetExpiry(this ClaimsPrincipal user) =>
        user is SlimPrincipal { Slim: var slim } ? slim.Expiry :
        long.TryParse(user.FindFirst(ClaimNames.Expiry)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp)
            ? DateTimeOffset.FromUnixTimeSeconds(exp)
            : null;

    /// <summary>The subject, for logs.</summary>
    public static string GetSubject(this ClaimsPrincipal user) =>
        (user as SlimPrincipal)?.Slim.Subject ?? user.FindFirst(ClaimNames.Subject)?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "?";

    // Whether the space-separated scopes in value include scope, scanned in place.
    private static bool Contains(string value, string scope)
    {
        var span = value.AsSpan();
        foreach (var range in span.Split(' '))
        {
            if (span[range].SequenceEqual(scope))
            {
                return true;
            }
        }

        return false;
    }
}
