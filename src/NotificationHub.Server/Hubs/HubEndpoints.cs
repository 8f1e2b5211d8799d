using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace NotificationHub.Server.Hubs;

/// <summary>Registers and maps the SignalR hub.</summary>
public static class HubEndpoints
{
    /// <summary>Channel prefix of the SignalR Redis backplane (kept apart from the bus's channels).</summary>
    public const string BackplaneChannelPrefix = "notificationhub-signalr";

    /// <summary>
    /// Adds SignalR with the JSON and MessagePack protocols, stateful reconnect, the hub's options and registry, and,
    /// when <c>Redis:ConnectionString</c> is set, the Redis backplane.
    /// </summary>
    public static IServiceCollection AddEnrichmentHub(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EnrichmentHubOptions>()
            .BindConfiguration(EnrichmentHubOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<HubSubscriptionRegistry>();
        services.AddOptions<HubOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<EnrichmentHubOptions>>((signalr, hub) =>
            {
                signalr.StatefulReconnectBufferSize = hub.Value.StatefulReconnectBufferSize;
                signalr.AddFilter<HubErrorLoggingFilter>();
            });

        // Every refused invocation would otherwise be an error with a stack trace (see HubErrorLoggingFilter).
        services.AddLogging(logging => logging.AddFilter(HubErrorLoggingFilter.DispatcherCategory, LogLevel.Critical));

        var signalR = services.AddSignalR()
            .AddJsonProtocol(options =>
            {
                options.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, HubJsonContext.Default);
            })
            .AddMessagePackProtocol(options => options.SerializerOptions = HubMessagePack.SerializerOptions);

        var redis = configuration["Redis:ConnectionString"];
        if (!string.IsNullOrWhiteSpace(redis))
        {
            // The backplane carries SignalR's own traffic (groups, connection-addressed sends from other nodes).
            // Enrichment events never travel through it: each node's pumps read the bus for their own connections.
            signalR.AddStackExchangeRedis(redis, options =>
                options.Configuration.ChannelPrefix = RedisChannel.Literal(BackplaneChannelPrefix));
        }

        DecorateLifetimeManager(services);
        return services;
    }

    /// <summary>
    /// Wraps the enrichment hub's lifetime manager (whichever was registered last: in-process or the Redis backplane)
    /// in <see cref="TrackingHubLifetimeManager{THub}"/>, so pumps can write pre-serialized events to their connection.
    /// </summary>
    private static void DecorateLifetimeManager(IServiceCollection services)
    {
        var openGeneric = services.Last(d => d.ServiceType == typeof(HubLifetimeManager<>)).ImplementationType
            ?? throw new InvalidOperationException("The SignalR lifetime manager is not registered by type.");
        var innerType = openGeneric.MakeGenericType(typeof(EnrichmentHub));
        services.AddSingleton<LocalHubConnections>();
        services.AddSingleton<HubLifetimeManager<EnrichmentHub>>(provider => new TrackingHubLifetimeManager<EnrichmentHub>(
            (HubLifetimeManager<EnrichmentHub>)ActivatorUtilities.CreateInstance(provider, innerType),
            provider.GetRequiredService<LocalHubConnections>(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger<TrackingHubLifetimeManager<EnrichmentHub>>()));
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
