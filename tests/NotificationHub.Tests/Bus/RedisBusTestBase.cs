using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using StackExchange.Redis;
using static NotificationHub.Tests.Bus.BusTest;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// What the Redis backend's own test classes share (one Redis, a cluster, a master with its replica): buses built
/// over a given connection, each with its own meters, and the streams a test opens, disposed after it.
/// </summary>
public abstract class RedisBusTestBase : IAsyncLifetime
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<IAsyncDisposable> _disposables = [];

    /// <inheritdoc />
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    /// <summary>A bus over <paramref name="connection"/>, and its backend.</summary>
    protected (EnrichmentEventBus Bus, RedisEventBusBackend Backend) BuildBus(
        IConnectionMultiplexer connection, RedisBusOptions redisOptions, EventBusOptions busOptions)
    {
        var backend = new RedisEventBusBackend(connection, Options.Create(redisOptions), Options.Create(busOptions),
            NullLogger<RedisEventBusBackend>.Instance);
        var bus = new EnrichmentEventBus(backend, Options.Create(busOptions), NullLogger<EnrichmentEventBus>.Instance,
            new BusMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), TimeProvider.System);
        return (bus, backend);
    }

    /// <summary>A stream of <paramref name="bomId"/> for <see cref="BusTest.Tenant"/>, disposed after the test.</summary>
    protected async Task<EnrichmentStream> OpenAsync(EnrichmentEventBus bus, string bomId)
    {
        var (status, stream) = await bus.OpenStreamAsync(bomId, Tenant, null).AsTask().WaitAsync(StepTimeout);
        Assert.Equal(OpenStreamStatus.Opened, status);
        _disposables.Add(stream!);
        return stream!;
    }

    /// <summary>A BOM known to the bus (started by <see cref="BusTest.Tenant"/>) with a stream past its snapshot.</summary>
    protected async Task<EnrichmentStream> StartedBomWithStreamAsync(EnrichmentEventBus bus, string bomId)
    {
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var stream = await OpenAsync(bus, bomId);
        await NextAsync(stream);
        return stream;
    }
}
