using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Auth;

/// <summary>
/// The default authentication scheme: a request whose <c>Authorization: Bearer</c> token is a cached, still valid
/// publisher token (<see cref="ValidatedTokenCache"/>) is authenticated here from the cached identity; every other
/// request, and every challenge and forbid, goes to JwtBearer unchanged.
/// </summary>
/// <remarks>
/// On a cache hit JwtBearer would validate nothing either, but per request it still copies its
/// <c>TokenValidationParameters</c> (about 40 fields and their lists), builds a message-received and a
/// token-validated context, runs both events and wraps the identity twice: a good part of what is left of the
/// authentication cost of a publish request (docs/benchmarks.md). The outcome is the same principal JwtBearer's
/// <c>OnTokenValidated</c> makes of a cached token (<see cref="SlimPrincipal"/> around the cached
/// <see cref="SlimIdentity"/>), only valid publisher tokens are ever cached, and an entry is honoured exactly as
/// long as the cache itself honours it, so what a request is allowed is unchanged.
/// </remarks>
internal sealed class PublisherTokenShortcut(PublisherTokenShortcut.CacheAccessor cache) : IAuthenticationHandler
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "NotificationHub";

    private const string BearerPrefix = "Bearer ";

    private HttpContext? _context;

    /// <inheritdoc />
    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _context = context;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<AuthenticateResult> AuthenticateAsync()
    {
        var context = _context!;
        return CachedIdentity(context.Request, cache.Cache) is { } identity
            ? Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(SlimPrincipal.Of(identity), SchemeName)))
            : context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// The identity of the request's bearer token when it is a cached, still valid publisher token (exactly one
    /// <c>Authorization</c> header, scheme <c>Bearer</c>), else null: what this scheme authenticates without JwtBearer.
    /// </summary>
    internal static SlimIdentity? CachedIdentity(HttpRequest request, ValidatedTokenCache? cache)
    {
        var authorization = request.Headers.Authorization;
        return cache is not null && authorization.Count == 1 && authorization[0] is { } header
            && header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? cache.TryGetValidIdentity(header.AsSpan(BearerPrefix.Length).Trim())
            : null;
    }

    /// <inheritdoc />
    public Task ChallengeAsync(AuthenticationProperties? properties) =>
        _context!.ChallengeAsync(JwtBearerDefaults.AuthenticationScheme, properties);

    /// <inheritdoc />
    public Task ForbidAsync(AuthenticationProperties? properties) =>
        _context!.ForbidAsync(JwtBearerDefaults.AuthenticationScheme, properties);

    /// <summary>The token cache JwtBearer's options hold (null when <c>Auth:PublisherTokenCacheSize</c> is 0), looked up once.</summary>
    internal sealed class CacheAccessor(IOptionsMonitor<JwtBearerOptions> options)
    {
        private readonly Lazy<ValidatedTokenCache?> _cache = new(() =>
            options.Get(JwtBearerDefaults.AuthenticationScheme).TokenHandlers.OfType<ValidatedTokenCache>().FirstOrDefault());

        /// <summary>The cache, or null.</summary>
        public ValidatedTokenCache? Cache => _cache.Value;
    }
}
