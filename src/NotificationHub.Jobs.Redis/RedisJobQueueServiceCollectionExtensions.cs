using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace NotificationHub.Jobs.Redis;

/// <summary>Registers the Redis job queue.</summary>
public static class RedisJobQueueServiceCollectionExtensions
{
    /// <summary>
    /// When <c>Redis:ConnectionString</c> is set: binds <see cref="RedisJobQueueOptions"/> (validated on start) and
    /// makes <see cref="RedisJobQueue"/> the <see cref="IJobQueue"/>, on the <c>IConnectionMultiplexer</c> that the
    /// Redis bus backend registers (call <c>AddRedisEventBusBackend</c> too). Otherwise does nothing.
    /// </summary>
    /// <returns>True when the Redis queue was registered.</returns>
    public static bool AddRedisJobQueue(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration["Redis:ConnectionString"]))
        {
            return false;
        }

        services.AddOptions<RedisJobQueueOptions>()
            .Bind(configuration.GetSection(RedisJobQueueOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => RedisJobQueueNames.HasHashTag(o.KeyPrefix),
                "JobQueue:KeyPrefix needs a hash tag, e.g. '{notificationhub:jobs}:': the queue's scripts touch several keys, which Redis Cluster allows only in one slot.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.Replace(ServiceDescriptor.Singleton<IJobQueue, RedisJobQueue>());
        return true;
    }
}
