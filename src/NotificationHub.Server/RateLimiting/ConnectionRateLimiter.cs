using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;
using NotificationHub.Server.Hubs;

namespace NotificationHub.Server.RateLimiting;

/// <summary>
/// Per-user and per-tenant limits on long-lived connections (<see cref="ConnectionLimiter"/>): SSE streams here, SignalR
/// connections of every transport through <see cref="HubConnectionGate"/>.
/// </summary>
public static class ConnectionRateLimiter
{
    /// <summary>Adds the limiter and the hub's gate.</summary>
    public static IServiceCollection AddConnectionRateLimits(this IServiceCollection services)
    {
        services.AddOptions<ConnectionLimitOptions>()
            .BindConfiguration(ConnectionLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<HubConnectionGate>();
        return services;
    }

    /// <summary>
    /// The middleware, after authentication (limits are per user and tenant) and routing (the hub's endpoints are told
    /// by their metadata, not their path). Unauthenticated requests pass: their endpoint answers 401.
    /// </summary>
    public static IApplicationBuilder UseConnectionLimits(this IApplicationBuilder app)
    {
        var limiter = app.ApplicationServices.GetRequiredService<ConnectionLimiter>();
        var gate = app.ApplicationServices.GetRequiredService<HubConnectionGate>();
        var tenantClaim = app.ApplicationServices.GetRequiredService<IOptions<AuthOptions>>().Value.TenantClaim;
        return app.Use(async (http, next) =>
        {
            if (ConnectionOwner.Of(http.User, tenantClaim) is not { } owner)
            {
                await next(http);
            }
            else if (http.GetEndpoint()?.Metadata.GetMetadata<HubMetadata>() is not null)
            {
                await gate.InvokeAsync(http, next, owner);
            }
            else if (IsStream(http))
            {
                // The stream is this request: its permits are held exactly as long.
                using var lease = limiter.AttemptAndOpen(owner);
                if (lease.IsAcquired)
                {
                    await next(http);
                }
                else
                {
                    await RejectAsync(http, lease);
                }
            }
            else
            {
                await next(http);
            }
        });
    }

    /// <summary>429 with <c>Retry-After</c> and the <c>rate_limited</c> problem.</summary>
    internal static Task RejectAsync(HttpContext http, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiProblems.RateLimited(seconds).ExecuteAsync(http);
    }

    private static bool IsStream(HttpContext http) =>
        HttpMethods.IsGet(http.Request.Method) && http.Request.Path.StartsWithSegments("/api/enrichment/stream");
}
