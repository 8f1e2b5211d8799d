using NotificationHub.Bus.Redis;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// The one transient/real split of Redis failures, checked against exceptions a real redis-server and the real client
/// produce (a replica refusing writes, a busy script, a stalled server, an unreachable one), plus the prefixes a
/// cluster or failover produces that one server cannot show.
/// </summary>
public sealed class RedisTransientErrorsTests : IAsyncLifetime
{
    private PrivateRedisServer? _server;
    private ConnectionMultiplexer? _redis;

    public async Task InitializeAsync()
    {
        _server = await PrivateRedisServer.StartAsync(persistent: false);
        _redis = await ConnectionMultiplexer.ConnectAsync(_server.ConnectionString + ",asyncTimeout=500,syncTimeout=500");
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private IDatabase Db => _redis!.GetDatabase();

    [Fact]
    public async Task A_replica_refusing_a_write_is_transient_in_a_command_and_in_a_script()
    {
        var server = _redis!.GetServer(_redis.GetEndPoints()[0]);
        await server.ExecuteAsync("REPLICAOF", "127.0.0.1", "1").Bounded(); // a master that does not exist: stays a replica
        try
        {
            var command = await Assert.ThrowsAsync<RedisServerException>(() => Db.StringSetAsync("k", "v")).Bounded();
            var script = await Assert.ThrowsAsync<RedisServerException>(() =>
                Db.ScriptEvaluateAsync("return redis.call('SET', KEYS[1], 'v')", ["k"])).Bounded();
            Assert.True(RedisTransientErrors.IsTransient(command), command.Message);
            Assert.True(RedisTransientErrors.IsTransient(script), script.Message);
        }
        finally
        {
            await server.ExecuteAsync("REPLICAOF", "NO", "ONE").Bounded();
        }
    }

    [Fact]
    public async Task A_busy_script_and_a_timeout_are_transient()
    {
        await _redis!.GetServer(_redis.GetEndPoints()[0]).ExecuteAsync("CONFIG", "SET", "busy-reply-threshold", "100").Bounded();
        await using var other = await ConnectionMultiplexer.ConnectAsync(_server!.ConnectionString + ",asyncTimeout=500");
        var spin = other.GetDatabase().ScriptEvaluateAsync("local t = redis.call('TIME') while true do end");

        // Another connection: BUSY once the script ran past the threshold.
        RedisServerException? busy = null;
        for (var i = 0; i < 50 && busy is null; i++)
        {
            try
            {
                await Db.PingAsync();
                await Task.Delay(20);
            }
            catch (RedisServerException ex)
            {
                busy = ex;
            }
        }

        Assert.NotNull(busy);
        Assert.True(RedisTransientErrors.IsTransient(busy), busy.Message);

        // The spinning script's own caller times out.
        var timeout = await Assert.ThrowsAnyAsync<Exception>(() => spin).WaitAsync(TestTimeouts.Default);
        Assert.IsType<RedisTimeoutException>(timeout);
        Assert.True(RedisTransientErrors.IsTransient(timeout));
        await _redis.GetServer(_redis.GetEndPoints()[0]).ExecuteAsync("SCRIPT", "KILL").Bounded();
    }

    [Fact]
    public async Task An_unreachable_server_is_transient()
    {
        await using var nowhere = await ConnectionMultiplexer.ConnectAsync(
            $"127.0.0.1:{RedisServerFixture.FreePort()},abortConnect=false,connectTimeout=200,asyncTimeout=500");
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => nowhere.GetDatabase().StringGetAsync("k")).Bounded();
        Assert.True(RedisTransientErrors.IsTransient(ex), ex.ToString());
    }

    [Fact]
    public async Task Real_failures_are_not_transient()
    {
        await Db.StringSetAsync("a-string", "v").Bounded();
        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => Db.ListLengthAsync("a-string")).Bounded();
        var scriptBug = await Assert.ThrowsAsync<RedisServerException>(() => Db.ScriptEvaluateAsync("return redis.call('NOPE')")).Bounded();
        await Db.StreamCreateConsumerGroupAsync("s", "g", "0-0", createStream: true).Bounded();
        var busyGroup = await Assert.ThrowsAsync<RedisServerException>(() => Db.StreamCreateConsumerGroupAsync("s", "g", "0-0")).Bounded();

        Assert.False(RedisTransientErrors.IsTransient(wrongType), wrongType.Message);
        Assert.False(RedisTransientErrors.IsTransient(scriptBug), scriptBug.Message);
        Assert.False(RedisTransientErrors.IsTransient(busyGroup), busyGroup.Message); // BUSYGROUP is not BUSY
        Assert.False(RedisTransientErrors.IsTransient(new InvalidOperationException("CLUSTERDOWN")));
    }

    [Theory]
    [InlineData("CLUSTERDOWN The cluster is down")]
    [InlineData("TRYAGAIN Multiple keys request during rehashing of slot")]
    [InlineData("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")]
    [InlineData("LOADING Redis is loading the dataset in memory")]
    [InlineData("MOVED 3999 127.0.0.1:6381")]
    [InlineData("ASK 3999 127.0.0.1:6381")]
    [InlineData("NOREPLICAS Not enough good replicas to write.")]
    public void Cluster_and_failover_errors_are_transient(string message) =>
        Assert.True(RedisTransientErrors.IsTransient(new RedisServerException(message)));
}
