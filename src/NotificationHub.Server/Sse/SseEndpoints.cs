using NotificationHub.Server.Auth;
using NotificationHub.Server.RateLimiting;

namespace NotificationHub.Server.Sse;

/// <summary>Maps the SSE endpoint.</summary>
public static class SseEndpoints
{
    /// <summary>Route of the stream, in the API group (<c>/api/enrichment</c>).</summary>
    public const string Route = "/stream/{bom_id}";

    /// <summary>Adds the SSE handler's services.</summary>
    public static IServiceCollection AddEnrichmentSse(this IServiceCollection services)
    {
        services.AddOptions<SseOptions>()
            .BindConfiguration(SseOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<SseHandler>();
        return services;
    }

    /// <summary>Maps <c>GET /api/enrichment/stream/{bom_id}</c> in the tenant's API group, under the streams' connection limits.</summary>
    public static IEndpointConventionBuilder MapEnrichmentStream(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, (HttpContext http, string bom_id, CallerTenant tenant, SseHandler handler) => handler.HandleAsync(http, bom_id, tenant.Id))
            .RequireRateLimiting(ConnectionRateLimiter.StreamPolicy)
            .WithName("EnrichmentStream")
            .WithSummary("Server-Sent Events of one BOM's enrichment.");
}
