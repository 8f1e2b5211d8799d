using System.Security.Claims;
using NotificationHub.Server.Auth;

namespace NotificationHub.Tests.Auth;

public sealed class ClaimsPrincipalExtensionsTests
{
    private static ClaimsPrincipal WithScopes(params string[] scopeClaims) =>
        new(new ClaimsIdentity(scopeClaims.Select(s => new Claim(ClaimNames.Scope, s)), "test"));

    [Theory]
    [InlineData("enrichment:publish", true)]
    [InlineData("read enrichment:publish", true)]
    [InlineData("enrichment:publish read", true)]
    [InlineData("  read   enrichment:publish  ", true)]
    [InlineData("enrichment:publishX", false)]
    [InlineData("Xenrichment:publish", false)]
    [InlineData("ENRICHMENT:PUBLISH", false)]
    [InlineData("enrichment:publish\tread", false)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    public void HasScope_matches_a_whole_space_separated_scope(string claim, bool expected) =>
        Assert.Equal(expected, WithScopes(claim).HasScope(ClaimNames.PublishScope));

    [Fact]
    public void HasScope_looks_at_every_scope_claim()
    {
        Assert.True(WithScopes("read", "write enrichment:publish").HasScope(ClaimNames.PublishScope));
        Assert.False(WithScopes("read", "write").HasScope(ClaimNames.PublishScope));
        Assert.False(WithScopes().HasScope(ClaimNames.PublishScope));
    }

    [Fact]
    public void HasScope_never_matches_an_empty_scope() =>
        Assert.False(WithScopes("a  b", "").HasScope(""));
}
