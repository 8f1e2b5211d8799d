using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;

namespace NotificationHub.Server.RateLimiting;

/// <summary>
/// Per-user and per-tenant limits on long-lived connections, chained into ASP.NET Core's global limiter.
/// A concurrency lease is held for the whole request, so a closed stream gives its slot back at once.
/// </summary>
public static class ConnectionRateLimiter
{
    /// <summary>Adds the limiter.</summary>
    public static IServiceCollection AddConnectionRateLimits(this IServiceCollection services)
    {
        services.AddOptions<HubRateLimitOptions>()
            .BindConfiguration(HubRateLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<IOptions<HubRateLimitOptions>, IOptions<AuthOptions>>((options, limits, auth) =>
            {
                options.GlobalLimiter = Create(limits.Value, auth.Value.TenantClaim);
                options.OnRejected = OnRejectedAsync;
            });
        return services;
    }

    private static PartitionedRateLimiter<HttpContext> Create(HubRateLimitOptions limits, string tenantClaim)
    {
        var perUser = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            IsConnection(http) && UserKey(http, tenantClaim) is { } user
                ? RateLimitPartition.GetConcurrencyLimiter(user, _ => new ConcurrencyLimiterOptions
                {
                    PermitLimit = limits.PerUserConcurrentConnections,
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(""));
        var perTenant = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            IsConnection(http) && http.User.GetTenantId(tenantClaim) is { } tenant
                ? RateLimitPartition.GetConcurrencyLimiter(tenant, _ => new ConcurrencyLimiterOptions
                {
                    PermitLimit = limits.PerTenantConcurrentConnections,
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(""));
        var attempts = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            IsConnectionAttempt(http) && UserKey(http, tenantClaim) is { } user
                ? RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PerUserConnectionsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(""));
        return PartitionedRateLimiter.CreateChained(attempts, perUser, perTenant);
    }

    /// <summary>A request that stays open: an SSE stream, or a SignalR transport request (not negotiate).</summary>
    private static bool IsConnection(HttpContext http)
    {
        var path = http.Request.Path;
        return (path.StartsWithSegments("/api/enrichment/stream") && HttpMethods.IsGet(http.Request.Method))
               || (path.StartsWithSegments("/hubs") && !path.Value!.EndsWith("/negotiate", StringComparison.Ordinal)
                   && HttpMethods.IsGet(http.Request.Method) && http.Request.Query.ContainsKey("id") && !IsLongPollRequest(http));
    }

    // Long polling reconnects every poll; its connection is counted at negotiate, not per poll.
    private static bool IsLongPollRequest(HttpContext http) => !http.WebSockets.IsWebSocketRequest
        && !http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.Ordinal);

    /// <summary>A new connection: opening a stream, or negotiating a SignalR connection.</summary>
    private static bool IsConnectionAttempt(HttpContext http)
    {
        var path = http.Request.Path;
        return (path.StartsWithSegments("/api/enrichment/stream") && HttpMethods.IsGet(http.Request.Method))
               || (path.StartsWithSegments("/hubs") && path.Value!.EndsWith("/negotiate", StringComparison.Ordinal));
    }

    private static string? UserKey(HttpContext http, string tenantClaim) =>
        http.User.Identity?.IsAuthenticated == true
            ? $"{http.User.GetTenantId(tenantClaim)}/{http.User.GetSubject()}"
            : null; // unauthenticated requests are refused with 401 by the endpoint

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await ApiProblems.RateLimited(seconds).ExecuteAsync(context.HttpContext);
    }
}
