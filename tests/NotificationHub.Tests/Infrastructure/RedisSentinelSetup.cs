using System.Diagnostics;
using System.Globalization;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// A real Redis Sentinel deployment on free loopback ports: one master, one replica and three sentinels
/// (<c>redis-server --sentinel</c>) watching it as <see cref="ServiceName"/>, with a short
/// <c>down-after-milliseconds</c> (1 s) and <c>failover-timeout</c> (3 s) so a failover takes seconds. Each test owns
/// one (faults kill parts of it).
/// </summary>
public sealed class RedisSentinelSetup : IAsyncDisposable
{
    /// <summary>The monitored service's name.</summary>
    public const string ServiceName = "nhmaster";

    private readonly string _dir;
    private readonly List<Process> _processes = [];

    private RedisSentinelSetup(string dir) => _dir = dir;

    /// <summary>The master's port (as started; after a failover the replica's is the master).</summary>
    public int MasterPort { get; private set; }

    /// <summary>The replica's port.</summary>
    public int ReplicaPort { get; private set; }

    /// <summary>StackExchange.Redis connection string: the three sentinels and <c>serviceName=</c>.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The master's process.</summary>
    public Process Master { get; private set; } = null!;

    /// <summary>The replica's process.</summary>
    public Process Replica { get; private set; } = null!;

    /// <summary>Starts master, replica (in sync) and three sentinels (each knows the others and the replica).</summary>
    public static async Task<RedisSentinelSetup> StartAsync()
    {
        var setup = new RedisSentinelSetup(Directory.CreateTempSubdirectory("nh-sentinel-").FullName);
        try
        {
            await setup.StartAllAsync();
            return setup;
        }
        catch
        {
            await setup.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync()
    {
        MasterPort = RedisServerFixture.FreePort();
        Master = await StartAsync(MasterPort, ["--port", Port(MasterPort)]);
        ReplicaPort = RedisServerFixture.FreePort();
        Replica = await StartAsync(ReplicaPort, ["--port", Port(ReplicaPort), "--replicaof", "127.0.0.1", Port(MasterPort)]);
        await WaitAsync(() => Cli(MasterPort, "INFO", "replication").Contains("connected_slaves:1", StringComparison.Ordinal)
            && Cli(ReplicaPort, "INFO", "replication").Contains("master_link_status:up", StringComparison.Ordinal), "replica in sync");

        var sentinels = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var port = RedisServerFixture.FreePort();
            var config = Path.Combine(_dir, $"sentinel-{port}.conf");
            await File.WriteAllTextAsync(config, $"""
                port {port}
                bind 127.0.0.1
                sentinel monitor {ServiceName} 127.0.0.1 {MasterPort} 2
                sentinel down-after-milliseconds {ServiceName} 1000
                sentinel failover-timeout {ServiceName} 3000
                sentinel parallel-syncs {ServiceName} 1
                """);
            await StartAsync(port, [config, "--sentinel"]);
            sentinels.Add(port);
        }

        // Sentinels find each other and the replica through the master's hello channel; wait until they did.
        await WaitAsync(() => sentinels.All(p =>
            Cli(p, "SENTINEL", "MASTER", ServiceName) is var m && m.Contains("num-other-sentinels\n2", StringComparison.Ordinal)
            && m.Contains("num-slaves\n1", StringComparison.Ordinal)), "sentinels discovered each other");
        ConnectionString = string.Join(",", sentinels.Select(p => $"127.0.0.1:{p}")) + $",serviceName={ServiceName}";
    }

    /// <summary>Kills the master outright (SIGKILL); it is not restarted.</summary>
    public void KillMaster() => Master.Kill();

    /// <summary>Sends <paramref name="signal"/> (e.g. <c>-STOP</c>, <c>-CONT</c>) to <paramref name="process"/>.</summary>
    public static async Task SignalAsync(Process process, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
    }

    /// <summary>Runs redis-cli against a port; its output.</summary>
    public static string Cli(int port, params string[] args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-p", Port(port) }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var cli = Process.Start(start)!;
        var output = cli.StandardOutput.ReadToEnd();
        cli.WaitForExit(5000);
        return output;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private async Task<Process> StartAsync(int port, string[] args)
    {
        var arguments = args.Concat(args[0].EndsWith(".conf", StringComparison.Ordinal)
            ? []
            : new[] { "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir, "--repl-timeout", "5" });
        var process = await RedisServerFixture.TryStartServerAsync(arguments, _dir, port)
            ?? throw new InvalidOperationException($"redis-server {string.Join(' ', args)} did not start on {port}.");
        _processes.Add(process);
        return process;
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TestTimeouts.Default)
            {
                throw new TimeoutException($"Sentinel setup: not {what} within {TestTimeouts.Default}.");
            }

            await Task.Delay(100);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    await SignalAsync(process, "-CONT"); // a paused process does not die of SIGKILL before it runs
                    process.Kill();
                    await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
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
