using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Http;

/// <summary>CORS for the SSE, status and hub endpoints, from <see cref="HubCorsOptions"/>.</summary>
public static class CorsServiceCollectionExtensions
{
    /// <summary>Adds the default CORS policy: configured origins, any header and method, credentials allowed.</summary>
    public static IServiceCollection AddNotificationHubCors(this IServiceCollection services)
    {
        services.AddOptions<HubCorsOptions>().BindConfiguration(HubCorsOptions.SectionName);
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<HubCorsOptions>>((cors, hub) => cors.AddDefaultPolicy(policy =>
            {
                policy.WithOrigins(hub.Value.AllowedOrigins)
                    .AllowAnyHeader()
                    .AllowAnyMethod()
                    // SignalR's client sends credentials by default; EventSource may (withCredentials).
                    .AllowCredentials()
                    .WithExposedHeaders("Last-Event-ID", "Retry-After");
            }));
        return services;
    }
}
