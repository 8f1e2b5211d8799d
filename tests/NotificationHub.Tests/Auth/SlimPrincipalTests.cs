using System.Security.Claims;
using NotificationHub.Server.Auth;

namespace NotificationHub.Tests.Auth;

/// <summary>
/// The slim principal keeps only the claims the hub reads, and its field fast paths answer exactly what the claim
/// lookups answer on the principal it came from.
/// </summary>
public sealed class SlimPrincipalTests
{
    private const string TenantClaim = "tenant_id";

    private static ClaimsPrincipal Full(params Claim[] extra) => new(new ClaimsIdentity(
        [
            new Claim("iss", "notificationhub"),
            new Claim(ClaimNames.Subject, "user-1"),
            new Claim(TenantClaim, "tenant-a"),
            new Claim(ClaimNames.Expiry, "1900000000"),
            new Claim(ClaimNames.Scope, "read enrichment:publish"),
            new Claim(ClaimNames.Scope, "write"),
            new Claim("name", "Ada"),
            .. extra,
        ], "AuthenticationTypes.Federation", ClaimNames.Subject, ClaimTypes.Role));

    [Fact]
    public void Keeps_only_subject_tenant_expiry_and_scope_and_reads_them_as_the_full_principal_does()
    {
        var full = Full();
        var slim = SlimPrincipal.From(full, TenantClaim);

        Assert.IsType<SlimPrincipal>(slim);
        Assert.Equal(
            [(ClaimNames.Subject, "user-1"), (TenantClaim, "tenant-a"), (ClaimNames.Expiry, "1900000000"), (ClaimNames.Scope, "read enrichment:publish"), (ClaimNames.Scope, "write")],
            slim.Claims.Select(c => (c.Type, c.Value)));
        Assert.Equal(full.GetTenantId(TenantClaim), slim.GetTenantId(TenantClaim));
        Assert.Equal(full.GetSubject(), slim.GetSubject());
        Assert.Equal(full.GetExpiry(), slim.GetExpiry());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000), slim.GetExpiry());
        foreach (var scope in new[] { ClaimNames.PublishScope, "read", "write", "enrichment", "", "admin" })
        {
            Assert.Equal(full.HasScope(scope), slim.HasScope(scope));
        }

        Assert.True(slim.Identity!.IsAuthenticated);
        Assert.Equal("user-1", slim.Identity.Name);
        Assert.All(slim.Claims, c => Assert.Same(slim.Identity, c.Subject)); // not the source identity, nor its token
    }

    [Fact]
    public void A_token_without_tenant_or_expiry_reads_as_null_on_both_paths()
    {
        var full = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimNames.Subject, "svc"), new Claim(TenantClaim, "")], "test"));
        var slim = SlimPrincipal.From(full, TenantClaim);

        Assert.Null(full.GetTenantId(TenantClaim));
        Assert.Null(slim.GetTenantId(TenantClaim));
        Assert.Null(slim.GetExpiry());
        Assert.False(slim.HasScope(ClaimNames.PublishScope));
        Assert.Null(slim.GetTenantId("other_tenant_claim")); // another tenant claim name: the slow path, same answer
    }

    [Fact]
    public void A_slim_identity_is_wrapped_again_without_copying_its_claims()
    {
        var slim = SlimPrincipal.From(Full(), TenantClaim);

        Assert.Same(slim, SlimPrincipal.From(slim, TenantClaim));
        var rewrapped = SlimPrincipal.From(new ClaimsPrincipal(slim.Identity!), TenantClaim); // as JwtBearer wraps a cached identity
        Assert.Same(slim.Identity, rewrapped.Identity);

        var otherTenantClaim = SlimPrincipal.From(slim, "org_id"); // configured differently: copied, read anew
        Assert.NotSame(slim.Identity, otherTenantClaim.Identity);
    }
}
