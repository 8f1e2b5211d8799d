using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NotificationHub.Jobs.InMemory;

namespace NotificationHub.Jobs;

/// <summary>Registers the job queue and the worker.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>Adds the in-process queue (unless another <see cref="IJobQueue"/> is registered, as the Redis one), the simulated enricher (unless another is registered) and the hosted worker.</summary>
    public static IServiceCollection AddEnrichmentJobs(this IServiceCollection services)
    {
        services.AddOptions<JobOptions>()
            .BindConfiguration(JobOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<JobMetrics>();
        services.TryAddSingleton<IJobQueue, InMemoryJobQueue>();
        services.TryAddSingleton<IPartEnricher, SimulatedPartEnricher>();
        services.TryAddSingleton<EnrichmentJobRunner>();
        services.AddHostedService<EnrichmentWorkerService>();
        return services;
    }
}
