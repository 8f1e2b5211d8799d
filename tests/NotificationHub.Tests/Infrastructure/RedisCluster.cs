using System.Diagnostics;
using System.Globalization;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster of the test's own: 3 masters and 3 replicas (<c>redis-server --cluster-enabled yes</c> on free
/// loopback ports, each in its own temp dir, no persistence), created with <c>redis-cli --cluster create</c> and
/// waited for until every node says <c>cluster_state:ok</c>, all 16384 slots are covered and every replica is in sync.
/// A short <c>cluster-node-timeout</c> makes a failover take a couple of seconds. Nodes can be killed (SIGKILL),
/// stopped (SIGSTOP), continued and restarted; per-node counters come from <c>INFO</c>.
/// </summary>
/// <remarks>Shared by the classes of the <c>redis-cluster</c> collection through <see cref="RedisClusterFixture"/>;
/// a test that breaks nodes starts its own with <see cref="StartAsync"/>.</remarks>
public sealed class RedisCluster : IAsyncDisposable
{
    private const int Masters = 3;
    private static readonly string CliPath = File.Exists("/usr/bin/redis-cli") ? "/usr/bin/redis-cli" : "redis-cli";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _dir;
    private readonly int _nodeTimeoutMs;
    private readonly List<RedisClusterNode> _nodes = [];

    private RedisCluster(string dir, int nodeTimeoutMs)
    {
        _dir = dir;
        _nodeTimeoutMs = nodeTimeoutMs;
    }

    /// <summary>The six nodes, in creation order (the first three were created as masters).</summary>
    public IReadOnlyList<RedisClusterNode> Nodes => _nodes;

    /// <summary>StackExchange.Redis connection string naming every node (the library discovers the topology itself).</summary>
    public string ConnectionString => string.Join(",", _nodes.Select(n => n.EndPoint));

    /// <summary>Starts a cluster and waits until it serves every slot with every replica in sync.</summary>
    /// <param name="nodeTimeoutMs"><c>cluster-node-timeout</c>: a dead master is failed over about this long after it stops answering (plus an election).</param>
    public static async Task<RedisCluster> StartAsync(int nodeTimeoutMs = 1000)
    {
        var cluster = new RedisCluster(Directory.CreateTempSubdirectory("nh-redis-cluster-").FullName, nodeTimeoutMs);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 2 * Masters).Select(i => cluster.StartNodeAsync(i)));
            var create = await CliAsync(["--cluster", "create", .. cluster._nodes.Select(n => n.EndPoint), "--cluster-replicas", "1", "--cluster-yes"],
                TimeSpan.FromSeconds(30));
            if (!create.Contains("All 16384 slots covered", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed: {create}");
            }

            await cluster.WaitUntilHealthyAsync(StartTimeout);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartNodeAsync(int index)
    {
        var dir = Path.Combine(_dir, index.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);

        // A free port is found by binding port 0 and releasing it; another process may take it in between, so a
        // failed start is retried on new ports.
        for (var attempt = 1; ; attempt++)
        {
            var port = RedisServerFixture.FreePort();
            var busPort = RedisServerFixture.FreePort();
            if (busPort == port)
            {
                continue;
            }

            var node = new RedisClusterNode(this, port, busPort, dir);
            if (await node.TryStartAsync())
            {
                lock (_nodes)
                {
                    _nodes.Add(node);
                    _nodes.Sort((a, b) => string.CompareOrdinal(a.Directory, b.Directory));
                }

                return;
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException("A cluster node did not start.");
            }
        }
    }

    internal string[] ServerArguments(int port, int busPort, string dir) =>
    [
        "--port", port.ToString(CultureInfo.InvariantCulture), "--cluster-port", busPort.ToString(CultureInfo.InvariantCulture),
        "--bind", "127.0.0.1", "--dir", dir,
        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", _nodeTimeoutMs.ToString(CultureInfo.InvariantCulture),
        "--save", "", "--appendonly", "no",
    ];

    /// <summary>
    /// Waits until every running node says <c>cluster_state:ok</c>, the running masters cover all 16384 slots and
    /// every running replica's link to its master is up.
    /// </summary>
    public async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        string? why = null;
        while (deadline.Elapsed < timeout)
        {
            why = await UnhealthyReasonAsync();
            if (why is null)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The cluster did not become healthy within {timeout}: {why}");
    }

    private async Task<string?> UnhealthyReasonAsync()
    {
        var running = _nodes.Where(n => n.IsRunning).ToArray();
        foreach (var node in running)
        {
            var info = await node.InfoAsync("CLUSTER", "INFO");
            if (info.GetValueOrDefault("cluster_state") != "ok")
            {
                return $"{node.EndPoint} is {info.GetValueOrDefault("cluster_state") ?? "not answering"}";
            }
        }

        var topology = await TopologyAsync();
        var covered = topology.Where(n => n.IsMaster && running.Any(r => r.Port == n.Port)).Sum(n => n.Slots.Sum(s => s.To - s.From + 1));
        if (covered != 16384)
        {
            return $"the running masters cover {covered} slots";
        }

        foreach (var node in running.Where(r => topology.Any(n => n.Port == r.Port && !n.IsMaster)))
        {
            var replication = await node.InfoAsync("INFO", "replication");
            if (replication.GetValueOrDefault("master_link_status") != "up")
            {
                return $"replica {node.EndPoint} is not in sync";
            }
        }

        return null;
    }

    /// <summary>The cluster as a running node sees it (<c>CLUSTER NODES</c>).</summary>
    public async Task<IReadOnlyList<RedisClusterNodeInfo>> TopologyAsync()
    {
        foreach (var node in _nodes.Where(n => n.IsRunning))
        {
            var text = await node.CliAsync("CLUSTER", "NODES");
            if (text.Length > 0 && !text.StartsWith("Could not connect", StringComparison.Ordinal))
            {
                return RedisClusterNodeInfo.Parse(text);
            }
        }

        throw new InvalidOperationException("No cluster node answers.");
    }

    /// <summary>The hash slot of <paramref name="key"/> (<c>CLUSTER KEYSLOT</c>; a hash tag counts as usual).</summary>
    public async Task<int> KeySlotAsync(string key)
    {
        var node = _nodes.First(n => n.IsRunning);
        return int.Parse((await node.CliAsync("CLUSTER", "KEYSLOT", key)).Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The node currently serving <paramref name="slot"/> as master, as the running nodes see it.</summary>
    public async Task<RedisClusterNode> MasterOfAsync(int slot)
    {
        var topology = await TopologyAsync();
        var master = topology.Single(n => n.IsMaster && !n.IsFailed && n.Slots.Any(s => s.From <= slot && slot <= s.To));
        return _nodes.Single(n => n.Port == master.Port);
    }

    /// <summary>The replica of <paramref name="master"/>.</summary>
    public async Task<RedisClusterNode> ReplicaOfAsync(RedisClusterNode master)
    {
        var topology = await TopologyAsync();
        var id = topology.Single(n => n.Port == master.Port).Id;
        var replica = topology.Single(n => n.MasterId == id && !n.IsFailed);
        return _nodes.Single(n => n.Port == replica.Port);
    }

    /// <summary>The masters, as the running nodes see them.</summary>
    public async Task<IReadOnlyList<RedisClusterNode>> MastersAsync()
    {
        var topology = await TopologyAsync();
        return [.. _nodes.Where(node => topology.Any(n => n.Port == node.Port && n.IsMaster && !n.IsFailed))];
    }

    /// <summary>Runs <c>redis-cli</c> with <paramref name="args"/>; returns its standard output.</summary>
    internal static async Task<string> CliAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(CliPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }

        return await output + await error;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }
}
