using System.Security.Claims;

namespace NotificationHub.Server.Auth;

/// <summary>
/// The principal a validated token becomes: only the claims NotificationHub reads (subject, tenant, expiry, scope),
/// also kept in fields so that <see cref="ClaimsPrincipalExtensions"/> read them without allocating.
/// </summary>
/// <remarks>
/// A stream or hub connection keeps <c>HttpContext.User</c> alive for hours. The principal the token handler builds
/// holds the parsed token (its identity's <c>SecurityToken</c>), every claim of the payload and their dictionaries:
/// about 4 KiB per idle connection measured with dotnet-gcdump, more than the rest of the stream's own state.
/// </remarks>
public sealed class SlimPrincipal : ClaimsPrincipal
{
    private SlimPrincipal(SlimIdentity identity)
        : base(identity)
    {
        Slim = identity;
    }

    internal SlimIdentity Slim { get; }

    /// <summary>A principal around an identity that is slim already (a cached publisher token's).</summary>
    internal static SlimPrincipal Of(SlimIdentity identity) => new(identity);

    /// <summary>
    /// A slim principal for <paramref name="user"/>. When its identity is slim already (a publisher token served by
    /// <see cref="ValidatedTokenCache"/>), it is shared, not copied: nothing mutates a validated identity.
    /// </summary>
    public static ClaimsPrincipal From(ClaimsPrincipal user, string tenantClaim)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user switch
        {
            SlimPrincipal slim when slim.Slim.TenantClaim == tenantClaim => slim,
            { Identity: SlimIdentity identity } when identity.TenantClaim == tenantClaim => new SlimPrincipal(identity),
            _ => new SlimPrincipal(SlimIdentity.From(user, tenantClaim)),
        };
    }
}
