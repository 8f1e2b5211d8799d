using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Bus.Redis;

namespace NotificationHub.Jobs.Redis;

/// <summary>Registers everything a hub node or a worker runs on Redis, in one call.</summary>
public static class NotificationHubRedisServiceCollectionExtensions
{
    /// <summary>
    /// When <c>Redis:ConnectionString</c> is set: the one connection, the bus backend and its readiness check
    /// (<see cref="RedisEventBusServiceCollectionExtensions.AddRedisEventBusBackend"/>) and the job queue on that
    /// connection (<see cref="RedisJobQueueServiceCollectionExtensions.AddRedisJobQueue"/>). Otherwise does nothing:
    /// the bus and the queue stay in memory.
    /// </summary>
    /// <returns>True when Redis was registered.</returns>
    public static bool AddNotificationHubRedis(this IServiceCollection services, IConfiguration configuration) =>
        services.AddRedisEventBusBackend(configuration) && services.AddRedisJobQueue(configuration);
}
