using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Hosting;

/// <summary>Registers the graceful-shutdown settings.</summary>
public static class ShutdownServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ShutdownOptions"/> (validated on start), makes its drain time the host's shutdown timeout and
    /// replaces the console lifetime with <see cref="DrainingLifetime"/> (readiness off, then the drain delay).
    /// </summary>
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>()
            .BindConfiguration(ShutdownOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.DrainTimeout);
        services.AddSingleton<DrainState>();
        services.AddSingleton<IHostLifetime, DrainingLifetime>(); // the last registration wins over ConsoleLifetime
        return services;
    }
}
