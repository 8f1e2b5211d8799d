using System.Globalization;
using System.Security.Claims;

namespace NotificationHub.Server.Auth;

/// <summary>
/// The identity of a validated token, reduced to the claims NotificationHub reads (subject, tenant, expiry, scope),
/// which it also keeps in fields: reading them is then a field access, not an enumeration of identities and claims
/// (each of which allocates) on every publish request and every policy check.
/// </summary>
internal sealed class SlimIdentity : ClaimsIdentity
{
    private static readonly string[] NoScopes = [];

    // The last issuer seen: tokens nearly always come from one issuer, so most identities share this instance.
    private static string? s_issuer;

    private SlimIdentity(string? authenticationType, string nameType, string roleType, string tenantClaim)
        : base(authenticationType, nameType, roleType)
    {
        TenantClaim = tenantClaim;
    }

    /// <summary>The name of the claim <see cref="TenantId"/> was read from (<c>Auth:TenantClaim</c>).</summary>
    public string TenantClaim { get; }

    public string? Subject { get; private set; }

    public string? TenantId { get; private set; }

    public DateTimeOffset? Expiry { get; private set; }

    /// <summary>The values of every <c>scope</c> claim (space-separated scopes each).</summary>
    public string[] Scopes { get; private set; } = NoScopes;

    /// <summary>Copies <paramref name="user"/>'s subject, tenant, expiry and scope claims (first of each, every scope).</summary>
    public static SlimIdentity From(ClaimsPrincipal user, string tenantClaim)
    {
        var source = user.Identity as ClaimsIdentity;
        var identity = new SlimIdentity(source?.AuthenticationType, source?.NameClaimType ?? ClaimNames.Subject,
            source?.RoleClaimType ?? ClaimTypes.Role, tenantClaim);
        foreach (var claim in user.Claims)
        {
            // The type and issuer strings were parsed out of this token: use shared instances instead, so that a
            // connection keeps only its own values. New claims on purpose: a claim references the identity it came
            // from, and through it the parsed token.
            var type = claim.Type == ClaimNames.Subject ? ClaimNames.Subject
                : claim.Type == tenantClaim ? tenantClaim
                : claim.Type == ClaimNames.Expiry ? ClaimNames.Expiry
                : claim.Type == ClaimNames.Scope ? ClaimNames.Scope
                : null;
            if (type is null)
            {
                continue;
            }

            var issuer = Shared(ref s_issuer, claim.Issuer);
            var originalIssuer = claim.OriginalIssuer == issuer ? issuer : claim.OriginalIssuer;
            identity.AddClaim(new Claim(type, claim.Value, claim.ValueType, issuer, originalIssuer, identity));
            identity.Remember(type, claim.Value);
        }

        return identity;
    }

    private void Remember(string type, string value)
    {
        if (ReferenceEquals(type, ClaimNames.Scope))
        {
            Scopes = [.. Scopes, value];
        }
        else if (ReferenceEquals(type, ClaimNames.Subject))
        {
            Subject ??= value;
        }
        else if (ReferenceEquals(type, ClaimNames.Expiry))
        {
            Expiry ??= long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp)
                ? DateTimeOffset.FromUnixTimeSeconds(exp)
                : null;
        }
        else
        {
            TenantId ??= value.Length > 0 ? value : null;
        }
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
