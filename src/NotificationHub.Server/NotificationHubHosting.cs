using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Demo;
using NotificationHub.Server.Dev;
using NotificationHub.Server.Hosting;
using NotificationHub.Server.Http;
using NotificationHub.Jobs;
using NotificationHub.Jobs.Redis;
using NotificationHub.Server.Hubs;
using NotificationHub.Server.Jobs;
using NotificationHub.Server.Observability;
using NotificationHub.Server.OpenApi;
using NotificationHub.Server.Publishing;
using NotificationHub.Server.RateLimiting;
using NotificationHub.Server.Sse;
using NotificationHub.Server.Status;

namespace NotificationHub.Server;

/// <summary>
/// Composition of the server, shared by <c>Program</c> and the test fixtures so both run the very same app.
/// </summary>
public static class NotificationHubHosting
{
    /// <summary>Where the server listens unless <c>ASPNETCORE_URLS</c>/<c>--urls</c> says otherwise (the guide's <c>VITE_CNS_API_URL</c>).</summary>
    public const string DefaultUrl = "http://localhost:27200";

    /// <summary>Registers every service of the hub.</summary>
    public static WebApplicationBuilder AddNotificationHub(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var services = builder.Services;
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, EnrichmentJsonContext.Default);
            options.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddProblemDetails();
        services.AddRequestBodyLimits();
        services.AddGracefulShutdown();
        services.AddNotificationHubCors();
        services.AddConnectionRateLimits();
        services.AddNotificationHubAuth();
        services.AddEnrichmentEventBus();
        services.AddNotificationHubRedis(builder.Configuration); // when Redis:ConnectionString is set
        services.AddEnrichmentSse();
        services.AddEnrichmentJobEndpoints();
        services.AddEnrichmentJobs(); // the hosted worker (Worker:Enabled): `dotnet run` alone gives a working Re-Enrich
        services.AddHealthChecks()
            .AddCheck<DrainReadinessCheck>("drain", tags: [RedisReadinessCheck.ReadyTag]);
        services.AddNotificationHubObservability();
        services.AddNotificationHubTracing(builder.Configuration); // only with Tracing:Enabled or OTEL_EXPORTER_OTLP_ENDPOINT
        services.AddEnrichmentHub(builder.Configuration); // with Redis: the backplane, over the bus's connection
        services.AddApiDocumentation();
        return builder;
    }

    /// <summary>Adds the middleware and maps every endpoint.</summary>
    public static WebApplication MapNotificationHub(this WebApplication app)
    {
        // First: a stream's request runs the whole pipeline below to open its stream (every refusal is the pipeline's),
        // and is served once the pipeline has returned, so no middleware frame is suspended under an idle stream.
        app.UseEnrichmentStreams();
        app.UseExceptionHandler();
        // Not on the streams: every refusal of theirs has a problem body already, and a stream's request would keep the
        // status pages' feature for the stream's whole life. (The exception handler's 500 to an Accept of only
        // text/event-stream has none: the problem writer declines that Accept, and EventSource reads no body anyway.)
        app.UseWhen(http => !SseEndpoints.IsStream(http), branch => branch.UseStatusCodePages());
        app.UseDemoPage();
        app.UseSinglePublishShortcut(); // a worker's single publish with a cached token skips what follows up to its endpoint
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseConnectionLimits(); // after authentication: limits are per user and tenant

        // The HTTP API, set up once: every endpoint answers a Redis outage with 503 bus_unavailable and Retry-After,
        // and has its {bom_id} validated before its handler runs. Publishers' service tokens may lack a tenant; the
        // tenant's endpoints require one and take it as a parameter (CallerTenant). The single publish is the
        // exception: it does what the filters do itself, without their per-request cost (PublishEndpoints).
        var api = BomIdFilter.AddTo(app.MapGroup("/api/enrichment").AddEndpointFilter<BusUnavailableFilter>());
        api.MapEnrichmentPublishBatch();
        app.MapGroup("/api/enrichment").MapEnrichmentPublishing();
        var tenantApi = api.MapGroup("").RequireAuthorization(ClaimNames.TenantPolicy);

        // The streams too are the tenant's, but outside the group: the filters' state machines would live as long as
        // the stream (SseHandler does their work itself).
        var streams = app.MapGroup("/api/enrichment").RequireAuthorization(ClaimNames.TenantPolicy);
        streams.MapEnrichmentStream();
        streams.MapMultiBomEnrichmentStream();
        tenantApi.MapEnrichmentStatus();
        tenantApi.MapEnrichmentJobs();
        app.MapEnrichmentHub();
        if (app.Environment.IsDevelopment())
        {
            app.MapDevToken(); // the demo page's local token; the route does not exist elsewhere (404)
        }

        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }); // the process answers
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(RedisReadinessCheck.ReadyTag) });
        app.MapHubMetrics();
        app.MapApiDocumentation();
        return app;
    }
}
