using NotificationHub.Server.Auth;

namespace NotificationHub.Server.Sse;

/// <summary>Maps the SSE endpoint.</summary>
public static class SseEndpoints
{
    /// <summary>Route of the stream.</summary>
    public const string Route = "/api/enrichment/stream/{bom_id}";

    /// <summary>Route of the multi-BOM stream (<c>?bom_id=a&amp;bom_id=b…</c>).</summary>
    public const string MultiBomRoute = "/api/enrichment/stream";

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

    /// <summary>Maps <c>GET /api/enrichment/stream?bom_id=a&amp;bom_id=b…</c>.</summary>
    public static IEndpointConventionBuilder MapMultiBomEnrichmentStream(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(MultiBomRoute, (HttpContext http, SseHandler handler) => handler.HandleMultiAsync(http))
            .RequireAuthorization(ClaimNames.TenantPolicy)
            .WithName("MultiBomEnrichmentStream")
            .WithSummary("Server-Sent Events of several BOMs' enrichment over one connection.");
}
