using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace NotificationHub.Worker;

/// <summary>
/// Touches <c>Worker:HeartbeatFile</c> every 10 s while the host runs, for container health checks (the worker
/// serves no HTTP): docker-compose and the Kubernetes liveness probe call it unhealthy once the file is a minute old,
/// i.e. when the process hangs. Off when the setting is empty (the default outside the image).
/// </summary>
internal sealed class HeartbeatService(IConfiguration configuration) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = configuration["Worker:HeartbeatFile"];
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        do
        {
            await File.WriteAllTextAsync(path, DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture), stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
