using NotificationHub.Server.Auth;

namespace NotificationHub.Server.Sse;

/// <summary>Maps the SSE endpoint.</summary>
public static class SseEndpoints
{
    /// <summary>Route of the stream.</summary>
    public const string Route = "/api/enrichment/stream/{bom_id}";

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

    /// <summary>Maps <c>GET /api/enrichment/stream/{bom_id}</c>.</summary>
    public static IEndpointConventionBuilder MapEnrichmentStream(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, (HttpContext http, string bom_id, SseHandler handler) => handler.HandleAsync(http, bom_id))
            .RequireAuthorization(ClaimNames.TenantPolicy)
            .WithName("EnrichmentStream")
            .WithSummary("Server-Sent Events of one BOM's enrichment.");
}
