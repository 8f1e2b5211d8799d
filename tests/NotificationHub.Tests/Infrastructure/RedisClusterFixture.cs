using StackExchange.Redis;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// One <see cref="RedisCluster"/> shared by the classes of the <c>redis-cluster</c> collection (tests that do not
/// break nodes); tests isolate themselves with unique BOM ids and key prefixes. Fault tests start their own cluster.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private RedisCluster? _cluster;
    private ConnectionMultiplexer? _redis;

    /// <summary>The cluster.</summary>
    public RedisCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    /// <summary>StackExchange.Redis connection string naming every node.</summary>
    public string ConnectionString => Cluster.ConnectionString;

    /// <summary>A connection tests may share (a backend never disposes the multiplexer it is given).</summary>
    public IConnectionMultiplexer Redis => _redis ?? throw new InvalidOperationException("Not started.");

    /// <summary>A new, separate connection: another node's, for cross-node tests. The caller disposes it.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(ConnectionString);

    public async Task InitializeAsync()
    {
        _cluster = await RedisCluster.StartAsync();
        _redis = await ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>The classes that share one <see cref="RedisClusterFixture"/>.</summary>
[CollectionDefinition("redis-cluster")]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>;
