using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Hosting;

/// <summary>Registers the graceful-shutdown settings.</summary>
public static class ShutdownServiceCollectionExtensions
{
    /// <summary>Binds <see cref="ShutdownOptions"/> (validated on start) and makes its drain time the host's shutdown timeout.</summary>
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>()
            .BindConfiguration(ShutdownOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.DrainTimeout);
        return services;
    }
}
