using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using NotificationHub.Jobs.InMemory;

namespace NotificationHub.Jobs;

/// <summary>Registers the job queue and the worker.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Adds the in-process queue (unless another <see cref="IJobQueue"/> is registered, as the Redis one), the simulated enricher (unless another is registered) and the hosted worker.</summary>
    public static IServiceCollection AddEnrichmentJobs(this IServiceCollection services)
    {
        services.AddOptions<WorkerOptions>()
            .BindConfiguration(WorkerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<SimulatedEnricherOptions>()
            .BindConfiguration(WorkerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<JobMetrics>();
        services.TryAddSingleton<IJobQueue, InMemoryJobQueue>();
        services.TryAddSingleton<IPartEnricher, SimulatedPartEnricher>();
        services.TryAddSingleton<EnrichmentJobRunner>();
        services.AddHostedService<EnrichmentWorkerService>();

        // Said explicitly because it is a decision, not an accident of defaults: a worker loop that failed for a
        // reason other than a Redis outage (those it retries) stops the process, which exits with 1
        // (EnrichmentWorkerService sets it), rather than leaving a node that serves but silently runs no jobs.
        services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost);
        return services;
    }
}
