using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NotificationHub.Bus.InMemory;

namespace NotificationHub.Bus;

/// <summary>Registers the event bus.</summary>
public static class EventBusServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="EnrichmentEventBus"/> with options from the <c>Bus</c> and <c>Publish</c> sections, the <see cref="StreamPump"/> (<c>Stream</c> section), and the in-memory backend
    /// unless another <see cref="IEventBusBackend"/> is registered (the Redis package registers its own).
    /// </summary>
    public static IServiceCollection AddEnrichmentEventBus(this IServiceCollection services)
    {
        services.AddOptions<EventBusOptions>()
            .BindConfiguration(EventBusOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<PublishOptions>()
            .BindConfiguration(PublishOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<StreamOptions>()
            .BindConfiguration(StreamOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BusMetrics>();
        services.TryAddSingleton<IEventBusBackend, InMemoryEventBusBackend>();
        services.TryAddSingleton<EnrichmentEventBus>();
        services.TryAddSingleton<StreamPump>();
        return services;
    }
}
