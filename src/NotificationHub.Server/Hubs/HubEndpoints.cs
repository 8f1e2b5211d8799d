using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Server.Hubs;

/// <summary>Registers and maps the SignalR hub.</summary>
public static class HubEndpoints
{
    /// <summary>
    /// Adds SignalR with the JSON and MessagePack protocols, stateful reconnect and the hub's options; no backplane
    /// (docs/scaleout.md: every node serves its own connections from its own bus subscriptions).
    /// </summary>
    public static IServiceCollection AddEnrichmentHub(this IServiceCollection services)
    {
        services.AddOptions<EnrichmentHubOptions>()
            .BindConfiguration(EnrichmentHubOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HubOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<EnrichmentHubOptions>>((signalr, hub) =>
            {
                signalr.StatefulReconnectBufferSize = hub.Value.StatefulReconnectBufferSize;
                signalr.AddFilter<HubErrorLoggingFilter>();
            });

        // Every refused invocation would otherwise be an error with a stack trace (see HubErrorLoggingFilter).
        services.AddLogging(logging => logging.AddFilter(HubErrorLoggingFilter.DispatcherCategory, LogLevel.Critical));

        services.AddSignalR()
            .AddJsonProtocol(options =>
            {
                options.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, HubJsonContext.Default);
            })
            .AddMessagePackProtocol(options => options.SerializerOptions = HubMessagePack.SerializerOptions);

        // In-process only, no Redis backplane: see EnrichmentHubLifetimeManager. This closed registration overrides
        // AddSignalR's open generic default for the enrichment hub.
        services.AddSingleton<HubLifetimeManager<EnrichmentHub>, EnrichmentHubLifetimeManager>();
        return services;
    }

    /// <summary>
    /// Maps the hub at <see cref="EnrichmentHub.Route"/>, closing connections when their token expires. What
    /// <c>MapHub</c> does, plus <see cref="HubConnectionGate.ReleaseWhenClosed"/> in the connection pipeline, so that a
    /// connection's limit permits are given back when SignalR's connection ends, whatever its transport.
    /// </summary>
    public static IEndpointConventionBuilder MapEnrichmentHub(this IEndpointRouteBuilder endpoints)
    {
        var gate = endpoints.ServiceProvider.GetRequiredService<HubConnectionGate>();
        var options = new Microsoft.AspNetCore.Http.Connections.HttpConnectionDispatcherOptions
        {
            CloseOnAuthenticationExpiration = true,
            AllowStatefulReconnects = true,
        };
        var builder = endpoints.MapConnections(EnrichmentHub.Route, options, connection => connection
            .Use(gate.ReleaseWhenClosed)
            .UseHub<EnrichmentHub>());
        var attributes = typeof(EnrichmentHub).GetCustomAttributes(inherit: true);
        builder.Add(endpoint =>
        {
            // As MapHub: the hub's attributes ([Authorize]) and its type apply to its endpoints.
            foreach (var attribute in attributes)
            {
                endpoint.Metadata.Add(attribute);
            }

            endpoint.Metadata.Add(new HubMetadata(typeof(EnrichmentHub)));
        });
        return builder;
    }
}
