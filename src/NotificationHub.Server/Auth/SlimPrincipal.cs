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
    // The last issuer seen: tokens nearly always come from one issuer, so most connections share this instance.
    private static string? s_issuer;

    /// <summary>A principal with copies of <paramref name="user"/>'s subject, tenant, expiry and scope claims.</summary>
    public static ClaimsPrincipal From(ClaimsPrincipal user, string tenantClaim)
    {
        var source = user.Identity as ClaimsIdentity;
        var claims = new List<Claim>(4);
        foreach (var claim in user.Claims)
        {
            // The type and issuer strings were parsed out of this token: use shared instances instead, so that a
            // connection keeps only its own values (sub, tenant, exp).
            var type = claim.Type == ClaimNames.Subject ? ClaimNames.Subject
                : claim.Type == tenantClaim ? tenantClaim
                : claim.Type == ClaimNames.Expiry ? ClaimNames.Expiry
                : claim.Type == ClaimNames.Scope ? ClaimNames.Scope
                : null;
            if (type is not null)
            {
                var issuer = Shared(ref s_issuer, claim.Issuer);
                var originalIssuer = claim.OriginalIssuer == issuer ? issuer : claim.OriginalIssuer;
                claims.Add(new Claim(type, claim.Value, claim.ValueType, issuer, originalIssuer));
            }
        }

        return new ClaimsPrincipal(new ClaimsIdentity(
            claims, source?.AuthenticationType, source?.NameClaimType ?? ClaimNames.Subject, source?.RoleClaimType ?? ClaimTypes.Role));
    }

    // Races only decide which of two equal strings is kept: harmless.
    private static string Shared(ref string? cache, string value)
    {
        var cached = Volatile.Read(ref cache);
        if (cached is not null && cached == value)
        {
            return cached;
        }

        Volatile.Write(ref cache, value);
        return value;
    }
}
