using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace NotificationHub.Server.Hosting;

/// <summary>Readiness is 503 from the stop signal on, so load balancers stop sending new clients during the drain delay.</summary>
public sealed class DrainReadinessCheck(DrainState drain) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.IsDraining ? HealthCheckResult.Unhealthy("The node is draining.") : HealthCheckResult.Healthy());
}
