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
/// <remarks>
/// A node whose CPU is saturated may not see a connected master's answer within the 2 s bound: within
/// <see cref="SlowAnswerGrace"/> of the last answer that is <c>Degraded</c> (still 200), so one slow probe does not take
/// a busy node out of the load balancer. A master that is not connected at all (Redis down) is unready at once.
/// Registered as a singleton: it remembers when a master last answered.
/// </remarks>
public sealed class RedisReadinessCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    /// <summary>Tag of the checks that the hub's <c>/health/ready</c> runs.</summary>
    public const string ReadyTag = "ready";

    /// <summary>How long after a master's last answer a probe whose pings all timed out still counts as ready.</summary>
    public static readonly TimeSpan SlowAnswerGrace = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private long _lastAnswer; // Environment.TickCount64 of the last answer; 0: none yet

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The masters the connection knows are pinged together; the first answer decides (bounded: 2 s in all).
        var pings = redis.GetServers()
            .Where(server => server.IsConnected && !server.IsReplica)
            .Select(server => server.PingAsync())
            .ToList();
        Exception? failure = null;
        var timedOut = false;
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
                timedOut = true;
                break;
            }

            pings.Remove(done);
            try
            {
                var latency = await done;
                Volatile.Write(ref _lastAnswer, Environment.TickCount64);
                return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:F1} ms.");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                failure = ex;
            }
        }

        var last = Volatile.Read(ref _lastAnswer);
        var sinceLast = TimeSpan.FromMilliseconds(Environment.TickCount64 - last);
        return timedOut && last != 0 && sinceLast < SlowAnswerGrace
            ? HealthCheckResult.Degraded($"No Redis master answered within {PingTimeout.TotalSeconds:F0} s; one did {sinceLast.TotalSeconds:F1} s ago.", failure)
            : HealthCheckResult.Unhealthy("No Redis master answers.", failure);
    }
}
