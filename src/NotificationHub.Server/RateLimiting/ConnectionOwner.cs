using System.Security.Claims;
using NotificationHub.Server.Auth;

namespace NotificationHub.Server.RateLimiting;

/// <summary>Who holds a connection: the token's tenant and subject. Limits and hub connection tokens are bound to it.</summary>
/// <param name="TenantId">The tenant claim, or null (a publisher's service token).</param>
/// <param name="Subject">The <c>sub</c> claim.</param>
public readonly record struct ConnectionOwner(string? TenantId, string Subject)
{
    /// <summary>The owner of an authenticated request; null when it is not authenticated.</summary>
    public static ConnectionOwner? Of(ClaimsPrincipal user, string tenantClaim) =>
        user.Identity?.IsAuthenticated == true ? new ConnectionOwner(user.GetTenantId(tenantClaim), user.GetSubject()) : null;
}
