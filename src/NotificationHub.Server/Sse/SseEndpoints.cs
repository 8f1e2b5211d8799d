namespace NotificationHub.Server.Sse;

/// <summary>Maps the SSE endpoint.</summary>
public static class SseEndpoints
{
    /// <summary>Route of the stream, under <c>/api/enrichment</c>.</summary>
    public const string Route = "/stream/{bom_id}";

    /// <summary>Route of the multi-BOM stream (<c>?bom_id=a&amp;bom_id=b…</c>), under <c>/api/enrichment</c>.</summary>
    public const string MultiBomRoute = "/stream";

    /// <summary>True when the request was routed to a stream endpoint (<see cref="SseStreamMetadata"/>).</summary>
    public static bool IsStream(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<SseStreamMetadata>() is not null;

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

    /// <summary>
    /// Adds <see cref="SseHandler.ServeAsync"/> for the requests routed to a stream endpoint: first in the pipeline,
    /// before the exception handler, so that what runs the stream is not suspended inside any middleware.
    /// </summary>
    public static IApplicationBuilder UseEnrichmentStreams(this IApplicationBuilder app)
    {
        var handler = app.ApplicationServices.GetRequiredService<SseHandler>();
        return app.Use(next => http => IsStream(http) ? handler.ServeAsync(http, next) : next(http));
    }

    /// <summary>
    /// Maps <c>GET /api/enrichment/stream/{bom_id}</c> under <c>/api/enrichment</c> behind the tenant policy; not in the API
    /// group: <see cref="SseHandler"/> does what its filters do, and holds the connection limits' lease itself. The
    /// endpoint opens the stream; <see cref="UseEnrichmentStreams"/> serves it.
    /// </summary>
    public static IEndpointConventionBuilder MapEnrichmentStream(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, (HttpContext http, string bom_id, SseHandler handler) => handler.HandleAsync(http, bom_id))
            .WithMetadata(SseStreamMetadata.Instance)
            .WithName("EnrichmentStream")
            .WithSummary("Server-Sent Events of one BOM's enrichment.");

    /// <summary>Maps <c>GET /api/enrichment/stream?bom_id=a&amp;bom_id=b…</c> as <see cref="MapEnrichmentStream"/>.</summary>
    public static IEndpointConventionBuilder MapMultiBomEnrichmentStream(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(MultiBomRoute, (HttpContext http, SseHandler handler) => handler.HandleMultiAsync(http))
            .WithMetadata(SseStreamMetadata.Instance)
            .WithName("MultiBomEnrichmentStream")
            .WithSummary("Server-Sent Events of several BOMs' enrichment over one connection.");
}
