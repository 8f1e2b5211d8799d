using Microsoft.AspNetCore.SignalR;
using NotificationHub.Bus;
using OpenTelemetry.Metrics;

namespace NotificationHub.Server.Observability;

/// <summary>Metrics (OpenTelemetry, scraped by Prometheus at <c>/metrics</c>).</summary>
public static class ObservabilityExtensions
{
    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Adds OpenTelemetry metrics: the bus's meter, ASP.NET Core's, Kestrel's and the runtime's (GC heap, allocated
    /// bytes: the load tool reads allocations per delivery from them).
    /// </summary>
    public static IServiceCollection AddNotificationHubObservability(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(BusMetrics.MeterName, TransportMetrics.MeterName, NotificationHub.Jobs.JobMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
            .AddPrometheusExporter());
        services.AddSingleton<TransportMetrics>();
        services.AddSingleton<HubConnectionMetricsFilter>();
        services.Configure<HubOptions>(hub => hub.AddFilter<HubConnectionMetricsFilter>());
        return services;
    }

    /// <summary>Maps <c>/metrics</c>.</summary>
    public static IEndpointConventionBuilder MapHubMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
}
