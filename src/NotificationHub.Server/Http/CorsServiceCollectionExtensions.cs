using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

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

    /// <summary>
    /// The CORS middleware, for requests that carry an <c>Origin</c> header (browsers: every cross-origin request and
    /// preflight has one). A request without one gets nothing from it: the middleware answers no CORS headers then,
    /// yet it still resolves its per-request policy provider and creates the request's <c>Items</c> dictionary to
    /// flag that it ran, which every worker's publish request paid for. That flag only matters to an endpoint with
    /// CORS metadata (the endpoint middleware refuses to run one the middleware did not see), so such an endpoint
    /// still always goes through it.
    /// </summary>
    public static IApplicationBuilder UseNotificationHubCors(this IApplicationBuilder app) =>
        app.UseWhen(
            http => http.Request.Headers.ContainsKey(HeaderNames.Origin)
                || http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Cors.Infrastructure.ICorsMetadata>() is not null,
            branch => branch.UseCors());
}
