using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NotificationHub.Bus;
using NotificationHub.Jobs;
using NotificationHub.Jobs.Redis;
using NotificationHub.Worker;

// The enrichment worker as its own process: `dotnet run --project src/NotificationHub.Worker` with the same
// Redis:ConnectionString (and Redis:*, Bus:*, JobQueue:*, Worker:* settings) as the hub nodes. Several of these
// share the Redis job queue; a job whose worker dies is taken over by another.
var builder = Host.CreateApplicationBuilder(args);
var services = builder.Services;
services.AddEnrichmentEventBus();
if (!services.AddNotificationHubRedis(builder.Configuration))
{
    // Without Redis the queue and the bus would be private to this process: nobody could enqueue or watch.
    await Console.Error.WriteLineAsync(
        "NotificationHub.Worker needs Redis:ConnectionString (the hub nodes' Redis). In the embedded default the server runs jobs itself.");
    return 2;
}

services.AddEnrichmentJobs();
services.AddWorkerTracing(builder.Configuration);
services.AddHostedService<NotificationHub.Worker.HeartbeatService>(); // Worker:HeartbeatFile, for container health checks
services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(15));

using var host = builder.Build();
await host.RunAsync();

// Not 0: a hosted service that failed (EnrichmentWorkerService) set 1 before the host stopped.
return Environment.ExitCode;
