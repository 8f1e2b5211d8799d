using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;

namespace NotificationHub.Server.Dev;

/// <summary>
/// <c>GET /api/dev/token</c>: a local token for the demo page, so that <c>dotnet run</c> gives a page that works
/// without an identity provider. Mapped only in Development (elsewhere the route does not exist: 404).
/// </summary>
public static partial class DevTokenEndpoints
{
    /// <summary>Route of the endpoint.</summary>
    public const string Route = "/api/dev/token";

    /// <summary>Tenant of the token when the request names none.</summary>
    public const string DefaultTenant = "demo";

    /// <summary>Subject of the token when the request names none.</summary>
    public const string DefaultSubject = "demo-user";

    /// <summary>Longest lifetime a dev token may ask for.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);

    /// <summary>Maps the endpoint. Call it only in Development: it hands out tokens to anyone who asks.</summary>
    public static IEndpointRouteBuilder MapDevToken(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Route, Issue)
            .AllowAnonymous()
            .WithName("DevToken")
            .WithSummary("Development only: a local user token signed with Auth:SigningKey.");
        return endpoints;
    }

    private static Results<Ok<DevToken>, ProblemHttpResult> Issue(
        TokenIssuer issuer, IOptions<AuthOptions> authOptions, ILoggerFactory loggerFactory,
        string? tenant = null, string? sub = null, double? minutes = null)
    {
        tenant ??= DefaultTenant;
        sub ??= DefaultSubject;
        var lifetime = TimeSpan.FromMinutes(minutes ?? 60);
        if (!NamePattern().IsMatch(tenant) || !NamePattern().IsMatch(sub))
        {
            return ApiProblems.InvalidDevTokenRequest("tenant and sub are 1 to 64 characters from [A-Za-z0-9._-].");
        }

        if (minutes is not null && (double.IsNaN(minutes.Value) || lifetime <= TimeSpan.Zero || lifetime > MaxLifetime))
        {
            return ApiProblems.InvalidDevTokenRequest($"minutes is more than 0 and at most {MaxLifetime.TotalMinutes}.");
        }

        if (string.IsNullOrEmpty(authOptions.Value.SigningKey))
        {
            return ApiProblems.DevTokensUnavailable();
        }

        var expiresAt = DateTimeOffset.UtcNow + lifetime;
        var token = issuer.Issue(tenant, sub, lifetime);
        DevLog.TokenIssued(loggerFactory.CreateLogger(typeof(DevTokenEndpoints).FullName!), tenant, sub, expiresAt);
        return TypedResults.Ok(new DevToken { Token = token, TenantId = tenant, Subject = sub, ExpiresAt = expiresAt });
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();
}
