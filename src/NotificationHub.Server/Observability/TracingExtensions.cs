using OpenTelemetry.Trace;

namespace NotificationHub.Server.Observability;

/// <summary>
/// OpenTelemetry traces, exported over OTLP: ASP.NET Core's server spans, the bus's publish and receive spans
/// (<see cref="NotificationHub.Bus.BusTracing"/>), HttpClient's and StackExchange.Redis's client spans. Off unless <c>Tracing:Enabled</c> is true or an OTLP endpoint is set (the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> / <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> variables, which the exporter reads
/// together with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>, ...): a listener makes ASP.NET Core create
/// an <c>Activity</c> per request, one that lives as long as an SSE stream or hub connection (~0.7 KiB each,
/// docs/operations.md), which a node that exports nowhere should not pay.
/// </summary>
public static class TracingExtensions
{
    /// <summary>Turns tracing on (or off) regardless of the OTLP variables.</summary>
    public const string EnabledKey = "Tracing:Enabled";

    /// <summary>Adds tracing when enabled (see the class remarks).</summary>
    public static IServiceCollection AddNotificationHubTracing(this IServiceCollection services, IConfiguration configuration)
    {
        var enabled = configuration.GetValue<bool?>(EnabledKey)
            ?? (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]));
        if (!enabled)
        {
            return services;
        }

        services.AddOpenTelemetry().WithTracing(tracing => tracing
            // Probes and scrapes every few seconds per node would drown the traces that matter.
            .AddAspNetCoreInstrumentation(options => options.Filter = http =>
                !http.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal)
                && !http.Request.Path.StartsWithSegments(ObservabilityExtensions.MetricsPath, StringComparison.Ordinal))
            .AddSource(NotificationHub.Bus.BusTracing.SourceName) // publish and per-node receive spans, docs/operations.md
            .AddSource(NotificationHub.Jobs.JobTracing.SourceName) // the in-process runner's job runs
            .AddHttpClientInstrumentation()
            .AddRedisInstrumentation() // the bus's connection, from DI, when Redis is configured
            .AddOtlpExporter());
        return services;
    }
}
