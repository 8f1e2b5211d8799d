using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;
using NotificationHub.Server.Hubs;

namespace NotificationHub.Server.RateLimiting;

/// <summary>
/// Per-user and per-tenant limits on long-lived connections (<see cref="ConnectionLimiter"/>): SSE streams take their
/// lease in their handler (<c>SseHandler</c>), SignalR connections of every transport through
/// <see cref="HubConnectionGate"/> (a hub connection outlives its requests: long polling, negotiate).
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
    /// The hub's gate, after authentication (limits are per user and tenant) and routing (endpoints are told by their
    /// metadata, never their path). Unauthenticated requests pass: their endpoint answers 401.
    /// </summary>
    public static IApplicationBuilder UseConnectionLimits(this IApplicationBuilder app)
    {
        var gate = app.ApplicationServices.GetRequiredService<HubConnectionGate>();
        var tenantClaim = app.ApplicationServices.GetRequiredService<IOptions<AuthOptions>>().Value.TenantClaim;
        return app.Use((http, next) =>
            http.GetEndpoint()?.Metadata.GetMetadata<HubMetadata>() is not null
            && ConnectionOwner.Of(http.User, tenantClaim) is { } owner
                ? gate.InvokeAsync(http, next, owner)
                : next(http));
    }

    /// <summary>429 with <c>Retry-After</c> and the <c>rate_limited</c> problem.</summary>
    internal static Task RejectAsync(HttpContext http, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiProblems.RateLimited(seconds).ExecuteAsync(http);
    }
}
