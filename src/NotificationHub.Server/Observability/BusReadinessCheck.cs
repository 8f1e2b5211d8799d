using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace NotificationHub.Server.Observability;

/// <summary>
/// Readiness: with Redis configured, the node is ready only while Redis answers (a load balancer then stops
/// sending new clients to a node that cannot subscribe) and its watched BOMs are not waiting to be recovered from the
/// replay log after an interruption. The embedded bus is always ready.
/// </summary>
public sealed class BusReadinessCheck(IServiceProvider services, NotificationHub.Bus.EnrichmentEventBus bus) : IHealthCheck
{
    /// <summary>Tag of the checks that /health/ready runs.</summary>
    public const string ReadyTag = "ready";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var redis = services.GetService<IConnectionMultiplexer>();
        if (redis is null)
        {
            return HealthCheckResult.Healthy("Embedded in-memory bus.");
        }

        if (!bus.IsLiveDeliveryHealthy)
        {
            return HealthCheckResult.Unhealthy("Live delivery from Redis was interrupted; recovering watched BOMs from the replay log.");
        }

        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:F1} ms.");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer.", ex);
        }
    }
}
