using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Bus;
using NotificationHub.Jobs;
using OpenTelemetry.Trace;

namespace NotificationHub.Worker;

/// <summary>
/// The worker's traces, on by the same rule as the hub's (<c>Tracing:Enabled</c>, else an OTLP endpoint variable):
/// each job run, the publishes it makes beneath it, and their Redis commands, exported over OTLP.
/// </summary>
internal static class WorkerTracing
{
    public static IServiceCollection AddWorkerTracing(this IServiceCollection services, IConfiguration configuration)
    {
        var enabled = configuration.GetValue<bool?>("Tracing:Enabled")
            ?? (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]));
        if (enabled)
        {
            services.AddOpenTelemetry().WithTracing(tracing => tracing
                .AddSource(JobTracing.SourceName)
                .AddSource(BusTracing.SourceName)
                .AddRedisInstrumentation()
                .AddOtlpExporter());
        }

        return services;
    }
}
