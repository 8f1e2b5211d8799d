using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>Registers the Redis backend of the event bus.</summary>
public static class RedisEventBusServiceCollectionExtensions
{
    /// <summary>
    /// When <c>Redis:ConnectionString</c> is set: binds <see cref="RedisBusOptions"/> (validated on start), registers a
    /// singleton <see cref="IConnectionMultiplexer"/> (the job queue and the SignalR backplane reuse it), makes
    /// <see cref="RedisEventBusBackend"/> the <see cref="IEventBusBackend"/> and adds its readiness check
    /// (<see cref="RedisReadinessCheck"/>, tagged <see cref="RedisReadinessCheck.ReadyTag"/>). Otherwise does nothing,
    /// and the bus stays on the in-memory backend.
    /// </summary>
    /// <remarks>
    /// The backend is registered with <c>Replace</c>, so calling this before or after
    /// <see cref="EventBusServiceCollectionExtensions.AddEnrichmentEventBus"/> gives the same result.
    /// The connection does not abort when Redis is down at start: it keeps retrying in the background, and until it
    /// succeeds publishes fail with <see cref="BusUnavailableException"/>.
    /// </remarks>
    /// <returns>True when the Redis backend was registered.</returns>
    public static bool AddRedisEventBusBackend(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(RedisBusOptions.SectionName);
        var connectionString = section[nameof(RedisBusOptions.ConnectionString)];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }

        services.AddOptions<RedisBusOptions>()
            .Bind(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IConnectionMultiplexer>(sp => Connect(
            sp.GetRequiredService<IOptions<RedisBusOptions>>().Value.ConnectionString!,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<RedisEventBusBackend>()));
        services.Replace(ServiceDescriptor.Singleton<IEventBusBackend, RedisEventBusBackend>());
        services.TryAddSingleton<RedisReadinessCheck>(); // it remembers the last answer (AddCheck would make one per probe)
        services.AddHealthChecks().AddCheck<RedisReadinessCheck>("redis", tags: [RedisReadinessCheck.ReadyTag]);
        return true;
    }

    private static ConnectionMultiplexer Connect(string connectionString, ILogger logger)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;

        // While Redis is down, commands fail at once (publish answers 503 bus_unavailable, readiness turns red)
        // instead of waiting in the library's backlog until the timeout; the caller retries.
        options.BacklogPolicy = BacklogPolicy.FailFast;

        // The connection's socket I/O runs on the .NET thread pool instead of the library's own dedicated threads:
        // each reply (and each send) otherwise wakes a dedicated thread that only hands the completion on to the pool,
        // a second hop per command. With few requests in flight (a worker fleet over 4 connections) that hop was about
        // a sixth of the server's CPU per delivery (docs/benchmarks.md, "The cost of a publish, second round"). The
        // dedicated threads protect against a starved pool, which takes code blocking pool threads: nothing in the hub
        // does (every Redis call, request and stream is asynchronous end to end).
        options.SocketManager = SocketManager.ThreadPool;
        var multiplexer = ConnectionMultiplexer.Connect(options);
        multiplexer.ConnectionFailed += (_, e) =>
            RedisBusLog.ConnectionFailed(logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), e.Exception);
        multiplexer.ConnectionRestored += (_, e) =>
            RedisBusLog.ConnectionRestored(logger, e.EndPoint?.ToString() ?? "?");
        return multiplexer;
    }
}
