using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using NotificationHub.Bus.Redis;
using StackExchange.Redis;

namespace NotificationHub.Server.Hubs;

/// <summary>Registers and maps the SignalR hub.</summary>
public static class HubEndpoints
{
    /// <summary>
    /// Adds SignalR with the JSON and MessagePack protocols, stateful reconnect, the hub's options and
    /// <see cref="BomWatchers"/>, and, when <c>Redis:ConnectionString</c> is set, the Redis backplane over the bus's
    /// <see cref="IConnectionMultiplexer"/> (register the bus's Redis backend first). The backplane carries only
    /// <see cref="BomWatchers"/>' notices: events reach each connection from its own node's bus (docs/scaleout.md).
    /// </summary>
    public static IServiceCollection AddEnrichmentHub(this IServiceCollection services, IConfiguration configuration)
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

        services.AddSingleton<BomWatchers>();
        var signalR = services.AddSignalR()
            .AddJsonProtocol(options =>
            {
                options.PayloadSerializerOptions.TypeInfoResolverChain.Insert(0, HubJsonContext.Default);
            })
            .AddMessagePackProtocol(options => options.SerializerOptions = HubMessagePack.SerializerOptions);
        PreSerializedHubProtocol.WrapRegistered(services);

        // The closed registrations below override the open generic defaults of AddSignalR and AddStackExchangeRedis.
        if (string.IsNullOrWhiteSpace(configuration[RedisBusOptions.SectionName + ":" + nameof(RedisBusOptions.ConnectionString)]))
        {
            services.AddSingleton<HubLifetimeManager<EnrichmentHub>, EnrichmentHubLifetimeManager>();
            return services;
        }

        // One Redis connection per node: the bus's. (RedisOptions.Configuration, ChannelPrefix included, only applies
        // to a connection of the backplane's own; its channels are named after the hub type, apart from the bus's.)
        signalR.AddStackExchangeRedis();
        services.AddOptions<RedisOptions>().Configure<IConnectionMultiplexer>((options, multiplexer) =>
            options.ConnectionFactory = _ => Task.FromResult(multiplexer));
        services.AddSingleton<HubLifetimeManager<EnrichmentHub>, RedisEnrichmentHubLifetimeManager>();
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

            // No send timer per WebSocket frame: with one, every send gets a cancellable token and takes the
            // WebSocket's slower send path (SendFrameFallbackAsync, a token registration per frame; docs/benchmarks.md,
            // issue #15 item 4). A send blocked on a client that stopped reading is ended by the bus's slow-consumer
            // cut-off instead, which cancels the pump's write; SignalR then aborts the connection and the transport
            // aborts the socket after WebSocketOptions.CloseTimeout (docs/operations.md, "Slow consumers").
            TransportSendTimeout = Timeout.InfiniteTimeSpan,
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
