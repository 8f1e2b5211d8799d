using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// Readiness of a node on Redis, registered with the Redis backend (the embedded bus needs none: it is always ready):
/// the node is ready while a Redis master answers, i.e. while it can publish and
/// subscribe (a load balancer then stops sending new clients to a node that cannot). One dead Redis node (a replica,
/// a master whose replica took over, one shard's master during its failover) does not make it unready, nor do watched
/// BOMs that are being recovered from their logs: their clients keep their streams and miss nothing.
/// </summary>
public sealed class RedisReadinessCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    /// <summary>Tag of the checks that the hub's <c>/health/ready</c> runs.</summary>
    public const string ReadyTag = "ready";

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The masters the connection knows are pinged together; the first answer decides (bounded: 2 s in all).
        var pings = redis.GetServers()
            .Where(server => server.IsConnected && !server.IsReplica)
            .Select(server => server.PingAsync())
            .ToList();
        Exception? failure = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        while (pings.Count > 0)
        {
            Task<TimeSpan> done;
            try
            {
                done = await Task.WhenAny(pings).WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            pings.Remove(done);
            try
            {
                var latency = await done;
                return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:F1} ms.");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                failure = ex;
            }
        }

        return HealthCheckResult.Unhealthy("No Redis master answers.", failure);
    }
}
