using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using NotificationHub.Server.Http;

namespace NotificationHub.Server.Auth;

/// <summary>JWT bearer authentication with the token in the query string (EventSource cannot send headers).</summary>
public static class AuthServiceCollectionExtensions
{
    /// <summary>Query parameter carrying the token on the SSE endpoint (the guide's <c>?token=</c>).</summary>
    public const string TokenQueryParameter = "token";

    // What JwtBearer strips from the Authorization header (case-insensitively) to get the token.
    private const string BearerPrefix = "Bearer ";

    /// <summary>Query parameter the SignalR JavaScript client uses.</summary>
    public const string AccessTokenQueryParameter = "access_token";

    /// <summary>Adds authentication and the authorization policies.</summary>
    public static IServiceCollection AddNotificationHubAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<TokenIssuer>();
        services.TryAddSingleton(TimeProvider.System);

        // The default scheme serves cached publisher tokens itself and hands everything else to JwtBearer.
        services.AddSingleton<PublisherTokenShortcut.CacheAccessor>();
        services.AddAuthentication(options =>
            {
                options.AddScheme<PublisherTokenShortcut>(PublisherTokenShortcut.SchemeName, null);
                options.DefaultScheme = PublisherTokenShortcut.SchemeName;
            })
            .AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, ILoggerFactory, TimeProvider>(Configure);

        services.AddAuthorizationBuilder()
            .AddPolicy(ClaimNames.PublishPolicy, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(ctx => ctx.User.HasScope(ClaimNames.PublishScope)));

        // Endpoints behind it take the tenant as a parameter (CallerTenant) and never check it again: only a
        // publisher's service token may lack one, and it is refused here (403 forbidden).
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<AuthOptions>>((authorization, auth) =>
            authorization.AddPolicy(ClaimNames.TenantPolicy, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(ctx => ctx.User.GetTenantId(auth.Value.TenantClaim) is not null)));
        return services;
    }

    private static bool HasBearer(Microsoft.Extensions.Primitives.StringValues authorization)
    {
        foreach (var value in authorization)
        {
            if (value is not null && value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static void Configure(JwtBearerOptions jwt, IOptions<AuthOptions> authOptions, ILoggerFactory loggerFactory, TimeProvider time)
    {
        var auth = authOptions.Value;
        var logger = loggerFactory.CreateLogger("NotificationHub.Auth");
        jwt.MapInboundClaims = false;

        // Nothing reads the token back from the authentication properties (GetTokenAsync): saving it only allocated
        // an item dictionary per request.
        jwt.SaveToken = false;
        ValidatedTokenCache? tokenCache = null;

        // Wraps JwtBearer's own JsonWebTokenHandler, so MapInboundClaims (set above) keeps applying to it; the cache
        // wraps the strict rules, so a token breaking them is never cached.
        TokenHandler handler = new StrictTokenHandler(jwt.TokenHandlers.Single(), auth.TenantClaim);
        if (auth.PublisherTokenCacheSize > 0)
        {
            handler = tokenCache = new ValidatedTokenCache(handler, time, auth.PublisherTokenCacheSize, auth.PublisherTokenCacheMaxAge, auth.TenantClaim);
        }

        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(handler);

        jwt.Authority = string.IsNullOrEmpty(auth.Authority) ? null : auth.Authority;
        jwt.RequireHttpsMetadata = jwt.Authority?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ?? false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = auth.Issuer,
            ValidateAudience = true,
            ValidAudience = auth.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = auth.ClockSkew,
            ValidateIssuerSigningKey = true,
            IssuerSigningKey = string.IsNullOrEmpty(auth.SigningKey) ? null : new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.SigningKey)),
            ValidAlgorithms = string.IsNullOrEmpty(auth.Authority)
                ? [SecurityAlgorithms.HmacSha256]
                : [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.HmacSha256],
            NameClaimType = ClaimNames.Subject,
        };

        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                if (!string.IsNullOrEmpty(context.Token))
                {
                    return Task.CompletedTask;
                }

                var authorization = context.Request.Headers.Authorization;
                if (!HasBearer(authorization))
                {
                    // No bearer header: the query's token, even beside another scheme (Authorization: Basic, sent
                    // by a proxy or a browser's saved credentials), which JwtBearer would otherwise read as no token.
                    var query = context.Request.Query;
                    var token = query[TokenQueryParameter].ToString();
                    if (string.IsNullOrEmpty(token))
                    {
                        token = query[AccessTokenQueryParameter].ToString();
                    }

                    context.Token = string.IsNullOrEmpty(token) ? null : token;
                }
                else if (tokenCache is not null && authorization.Count == 1 && authorization[0] is { } header
                    && header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
                    && tokenCache.TryGetCachedToken(header.AsSpan(BearerPrefix.Length).Trim(), out var cached))
                {
                    // A cached publisher token: the cached string, which JwtBearer would otherwise cut anew out of the
                    // header (as it does below for any other token). Same token, same validation.
                    context.Token = cached;
                }

                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                // Streams and hub connections hold the principal for their whole life: keep only what we read.
                // A cached publisher token hands every request the same slim identity (ValidatedTokenCache): it is
                // wrapped, not copied, and never mutated.
                var user = SlimPrincipal.From(context.Principal!, auth.TenantClaim);

                // A token must name a tenant unless it is a publisher's service token.
                if (user.GetTenantId(auth.TenantClaim) is null && !user.HasScope(ClaimNames.PublishScope))
                {
                    context.Fail($"The token has no '{auth.TenantClaim}' claim.");
                    return Task.CompletedTask;
                }

                context.Principal = user;

                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                var reason = context.AuthenticateFailure switch
                {
                    null => "No token: pass it as ?token= or an Authorization: Bearer header.",
                    SecurityTokenExpiredException => "The token has expired.",
                    SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature is invalid.",
                    SecurityTokenInvalidIssuerException => "The token's issuer is not accepted.",
                    SecurityTokenInvalidAudienceException => "The token's audience is not accepted.",
                    SecurityTokenInvalidAlgorithmException => "The token's algorithm is not accepted.",
                    SecurityTokenMalformedException or ArgumentException => "The token is malformed.",
                    StrictTokenException strict => strict.Message,
                    { Message: var message } when message.Contains("claim", StringComparison.Ordinal) => message,
                    _ => "The token is invalid.",
                };
                AuthLog.TokenRefused(logger, context.Request.Path, reason);
                await ApiProblems.Unauthorized(reason).ExecuteAsync(context.HttpContext);
            },
            OnForbidden = context =>
                ApiProblems.Forbidden(RequiresTenant(context.HttpContext)
                    ? "The token names no tenant."
                    : $"The token lacks the '{ClaimNames.PublishScope}' scope.").ExecuteAsync(context.HttpContext),
        };
    }

    private static bool RequiresTenant(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == ClaimNames.TenantPolicy) == true;
}
