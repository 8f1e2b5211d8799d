using System.Security.Claims;

namespace NotificationHub.Server.Auth;

/// <summary>
/// The principal a validated token becomes: only the claims NotificationHub reads (subject, tenant, expiry, scope).
/// </summary>
/// <remarks>
/// A stream or hub connection keeps <c>HttpContext.User</c> alive for hours. The principal the token handler builds
/// holds the parsed token (its identity's <c>SecurityToken</c>), every claim of the payload and their dictionaries:
/// about 4 KiB per idle connection measured with dotnet-gcdump, more than the rest of the stream's own state. New
/// <see cref="Claim"/> objects are made on purpose: a claim references the identity it came from, and through it the token.
/// </remarks>
public static class SlimPrincipal
{
    /// <summary>A principal with copies of <paramref name="user"/>'s subject, tenant, expiry and scope claims.</summary>
    public static ClaimsPrincipal From(ClaimsPrincipal user, string tenantClaim)
    {
        var source = user.Identity as ClaimsIdentity;
        var claims = new List<Claim>(4);
        foreach (var claim in user.Claims)
        {
            if (claim.Type == ClaimNames.Subject || claim.Type == tenantClaim || claim.Type == ClaimNames.Expiry || claim.Type == ClaimNames.Scope)
            {
                claims.Add(new Claim(claim.Type, claim.Value, claim.ValueType, claim.Issuer, claim.OriginalIssuer));
            }
        }

        return new ClaimsPrincipal(new ClaimsIdentity(
            claims, source?.AuthenticationType, source?.NameClaimType ?? ClaimNames.Subject, source?.RoleClaimType ?? ClaimTypes.Role));
    }
}
