using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using NotificationHub.Server.Auth;
using NotificationHub.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotificationHub.Tests.Auth;

public sealed class ValidatedTokenCacheTests(ITestOutputHelper output)
{
    private static readonly TokenIssuer Issuer = new(Options.Create(new AuthOptions { SigningKey = HubServer.SigningKey }));

    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CountingTokenHandler _inner = new();

    // The server's parameters (AuthServiceCollectionExtensions), with no clock skew. The inner handler keeps the real
    // clock: only the cache's clock is advanced.
    private static TokenValidationParameters Parameters(string key = HubServer.SigningKey) => new()
    {
        ValidIssuer = "notificationhub",
        ValidAudience = "notificationhub",
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.Zero,
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        NameClaimType = ClaimNames.Subject,
    };

    private ValidatedTokenCache Cache(int capacity = 16, TimeSpan? maxAge = null) =>
        new(_inner, _time, capacity, maxAge ?? TimeSpan.FromMinutes(1));

    private static string Publisher(string subject = "worker", TimeSpan? lifetime = null, string scope = ClaimNames.PublishScope) =>
        Issuer.Issue(null, subject, lifetime ?? TimeSpan.FromMinutes(10), scope);

    private static async Task<TokenValidationResult> ValidateAsync(ValidatedTokenCache cache, string token) =>
        await cache.ValidateTokenAsync(token, Parameters()).Bounded();

    [Fact]
    public async Task A_publisher_token_is_validated_once_then_served_with_the_same_claims()
    {
        var cache = Cache();
        var token = Publisher("worker-7");

        var first = await ValidateAsync(cache, token);
        var second = await ValidateAsync(cache, token);
        var third = await ValidateAsync(cache, token);

        Assert.Equal(1, _inner.Validations);
        Assert.Equal(1, cache.Count);
        foreach (var result in new[] { first, second, third })
        {
            Assert.True(result.IsValid);
            Assert.Null(result.Exception);
            Assert.NotNull(result.SecurityToken);
            var user = new ClaimsPrincipal(result.ClaimsIdentity);
            Assert.Equal("worker-7", user.GetSubject());
            Assert.True(user.HasScope(ClaimNames.PublishScope));
            Assert.Equal(first.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)), result.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)));
        }

        Assert.Same(second, third); // a hit hands out the cached result itself: nothing allocated per request
        Assert.Same(first, second); // the request that validated it got the cached result too
        Assert.IsType<SlimIdentity>(first.ClaimsIdentity); // slimmed once, here, instead of per request
    }

    [Fact]
    public async Task A_cached_token_is_found_from_a_slice_of_a_header_as_the_cached_instance()
    {
        var cache = Cache();
        var token = Publisher("worker-7");
        Assert.False(cache.TryGetCachedToken(token.AsSpan(), out _));
        await ValidateAsync(cache, token);

        var header = "Bearer " + token; // a different string instance, as Kestrel would hold it
        Assert.True(cache.TryGetCachedToken(header.AsSpan("Bearer ".Length), out var cached));
        Assert.Equal(token, cached);
        Assert.Same(cached, cache.TryGetCachedToken(token.AsSpan(), out var again) ? again : null);
        Assert.False(cache.TryGetCachedToken(token.AsSpan(0, token.Length - 1), out _));
        Assert.False(cache.TryGetCachedToken(Publisher("worker-8").AsSpan(), out _));
    }

    [Fact]
    public async Task A_cached_token_is_not_used_after_its_exp()
    {
        var cache = Cache(maxAge: TimeSpan.FromHours(1));
        var token = Publisher(lifetime: TimeSpan.FromMinutes(5));
        Assert.True((await ValidateAsync(cache, token)).IsValid);
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.True((await ValidateAsync(cache, token)).IsValid);
        Assert.Equal(1, _inner.Validations);

        // Past exp by the cache's clock: the inner handler decides (by the real clock it still accepts the token, which
        // shows that it was asked), and a token past its exp is not cached again.
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await ValidateAsync(cache, token);
        await ValidateAsync(cache, token);

        Assert.Equal(3, _inner.Validations);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task A_cached_token_is_revalidated_after_the_max_age()
    {
        var cache = Cache(maxAge: TimeSpan.FromSeconds(30));
        var token = Publisher();
        await ValidateAsync(cache, token);
        _time.Advance(TimeSpan.FromSeconds(29));
        await ValidateAsync(cache, token);
        Assert.Equal(1, _inner.Validations);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await ValidateAsync(cache, token)).IsValid);
        Assert.Equal(2, _inner.Validations);

        // Validated again, so cached again for another max age.
        await ValidateAsync(cache, token);
        Assert.Equal(2, _inner.Validations);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task A_signing_key_change_applies_to_a_cached_token_after_the_max_age()
    {
        var cache = Cache(maxAge: TimeSpan.FromSeconds(30));
        var token = Publisher();
        Assert.True((await ValidateAsync(cache, token)).IsValid);

        _time.Advance(TimeSpan.FromSeconds(31));
        var rotated = await cache.ValidateTokenAsync(token, Parameters("another-signing-key-0123456789abcdef-xyz")).Bounded();

        Assert.False(rotated.IsValid);
        Assert.IsAssignableFrom<SecurityTokenSignatureKeyNotFoundException>(rotated.Exception);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("read")]
    [InlineData("enrichment:publishX read")]
    public async Task Tokens_without_the_publish_scope_are_not_cached(string? scope)
    {
        var cache = Cache();
        var token = Issuer.Issue("acme", "user-1", TimeSpan.FromMinutes(10), scope);

        Assert.True((await ValidateAsync(cache, token)).IsValid);
        Assert.True((await ValidateAsync(cache, token)).IsValid);

        Assert.Equal(2, _inner.Validations);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task Invalid_tokens_are_not_cached_and_their_result_is_passed_on_unchanged()
    {
        var cache = Cache();
        var foreignIssuer = new TokenIssuer(Options.Create(new AuthOptions { SigningKey = "a-different-key-0123456789abcdef-0123456789" }));
        var cases = new (string Token, Type Exception)[]
        {
            (foreignIssuer.Issue(null, "worker", TimeSpan.FromMinutes(10), ClaimNames.PublishScope), typeof(SecurityTokenSignatureKeyNotFoundException)),
            (Publisher(lifetime: TimeSpan.FromMinutes(-5)), typeof(SecurityTokenExpiredException)),
            ("not.a.token", typeof(ArgumentException)),
        };

        foreach (var (token, exception) in cases)
        {
            var before = _inner.Validations;
            for (var i = 0; i < 2; i++)
            {
                var result = await ValidateAsync(cache, token);
                Assert.False(result.IsValid);
                Assert.Same(_inner.LastResult, result);
                Assert.IsAssignableFrom(exception, result.Exception);
            }

            Assert.Equal(before + 2, _inner.Validations);
        }

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task A_full_cache_does_not_grow_and_makes_room_when_entries_expire()
    {
        var cache = Cache(capacity: 2, maxAge: TimeSpan.FromSeconds(10));
        var a = Publisher("a");
        var b = Publisher("b");
        var c = Publisher("c");
        await ValidateAsync(cache, a);
        await ValidateAsync(cache, b);
        await ValidateAsync(cache, c);
        await ValidateAsync(cache, c);
        Assert.Equal(2, cache.Count);
        Assert.Equal(4, _inner.Validations); // c is validated every time

        await ValidateAsync(cache, a);
        await ValidateAsync(cache, b);
        Assert.Equal(4, _inner.Validations); // a and b are still served

        _time.Advance(TimeSpan.FromSeconds(10));
        await ValidateAsync(cache, c); // a and b expired: swept out, c takes a slot
        await ValidateAsync(cache, c);
        Assert.Equal(5, _inner.Validations);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task Concurrent_misses_never_exceed_the_capacity()
    {
        var cache = Cache(capacity: 8);
        var tokens = Enumerable.Range(0, 40).Select(i => Publisher($"worker-{i}")).ToArray();
        var parameters = Parameters();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            foreach (var token in tokens)
            {
                Assert.True((await cache.ValidateTokenAsync(token, parameters)).IsValid);
            }
        }))).Bounded();

        Assert.Equal(8, cache.Count);
    }

    [Fact]
    public async Task A_hit_allocates_nothing()
    {
        var cache = Cache();
        var token = Publisher();
        var parameters = Parameters();
        await cache.ValidateTokenAsync(token, parameters).Bounded();

        // A validation by the inner handler, for comparison (the first one warms it up). JwtBearer reads the identity,
        // which the handler creates lazily: so does this.
        await _inner.ValidateTokenAsync(token, parameters).Bounded();
        const int Validations = 200;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Validations; i++)
        {
            _ = (await _inner.ValidateTokenAsync(token, parameters)).ClaimsIdentity;
        }

        var perValidation = (GC.GetAllocatedBytesForCurrentThread() - before) / Validations;

        const int Hits = 10_000;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Hits; i++)
        {
            var result = await cache.ValidateTokenAsync(token, parameters);
            Assert.NotNull(result.ClaimsIdentity);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"inner JsonWebTokenHandler: {perValidation} B per validation; cache hit: {(double)allocated / Hits:0.###} B per validation");
        Assert.True(allocated < Hits, $"{allocated} bytes for {Hits} hits");
    }
}
