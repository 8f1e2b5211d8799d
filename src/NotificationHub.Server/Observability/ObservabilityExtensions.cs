using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Diagnostics.Metrics;
using NotificationHub.Bus;
using OpenTelemetry.Metrics;

namespace NotificationHub.Server.Observability;

/// <summary>Metrics (OpenTelemetry, scraped by Prometheus at <c>/metrics</c>).</summary>
public static class ObservabilityExtensions
{
    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    // The meters this host creates through its own IMeterFactory (System.Runtime's is the process's).
    private static readonly string[] HostMeters =
        [BusMetrics.MeterName, TransportMetrics.MeterName, NotificationHub.Jobs.JobMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>
    /// Adds OpenTelemetry metrics: the bus's meter, ASP.NET Core's, Kestrel's and the runtime's (GC heap, allocated
    /// bytes: the load tool reads allocations per delivery from them).
    /// </summary>
    public static IServiceCollection AddNotificationHubObservability(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("System.Runtime")
            .AddPrometheusExporter());

        // The host's meters are enabled for this host's factory only (MeterScope.Local), not by AddMeter: a name would
        // also match the same-named meters of every other host in the process (the tests run many), and OpenTelemetry
        // keeps one stream per instrument name, the first heard. When the host that created that one was disposed,
        // this host's counts vanished from /metrics with it (and up-down counters summed other hosts' values).
        services.AddMetrics(builder =>
        {
            foreach (var name in HostMeters)
            {
                builder.EnableMetrics(name, scopes: MeterScope.Local);
            }
        });
        services.AddSingleton<TransportMetrics>();
        services.AddSingleton<HubConnectionMetricsFilter>();
        services.Configure<HubOptions>(hub => hub.AddFilter<HubConnectionMetricsFilter>());
        return services;
    }

    /// <summary>Maps <c>/metrics</c>.</summary>
    public static IEndpointConventionBuilder MapHubMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
}
