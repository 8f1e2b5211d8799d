using System.Diagnostics;
using System.Globalization;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>One <c>redis-server</c> process of a <see cref="RedisCluster"/>: it can be killed, stopped, continued and restarted (same port, same <c>nodes.conf</c>).</summary>
public sealed class RedisClusterNode : IAsyncDisposable
{
    private readonly RedisCluster _cluster;
    private Process? _process;
    private bool _stopped;

    internal RedisClusterNode(RedisCluster cluster, int port, int busPort, string directory)
    {
        _cluster = cluster;
        Port = port;
        BusPort = busPort;
        Directory = directory;
    }

    /// <summary>The node's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string EndPoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The cluster bus port (set explicitly: the default, port + 10000, may be past 65535 for an ephemeral port).</summary>
    internal int BusPort { get; }

    internal string Directory { get; }

    /// <summary>Whether the process runs and is not stopped (SIGSTOP).</summary>
    public bool IsRunning => _process is { HasExited: false } && !_stopped;

    internal async Task<bool> TryStartAsync()
    {
        _process = await RedisServerFixture.TryStartServerAsync(_cluster.ServerArguments(Port, BusPort, Directory), Directory, Port);
        return _process is not null;
    }

    /// <summary>Kills the node outright (SIGKILL).</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not running.");
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        process.Dispose();
        _process = null;
        _stopped = false;
    }

    /// <summary>Freezes the node (SIGSTOP): its sockets stay open but it answers nothing until <see cref="ContinueAsync"/>.</summary>
    public async Task StopAsync()
    {
        await SignalAsync("-STOP");
        _stopped = true;
    }

    /// <summary>Resumes a stopped node (SIGCONT).</summary>
    public async Task ContinueAsync()
    {
        await SignalAsync("-CONT");
        _stopped = false;
    }

    /// <summary>Starts a killed node again on its port; it rejoins the cluster from its <c>nodes.conf</c> (as a replica, if it was failed over).</summary>
    public async Task RestartAsync()
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            if (await TryStartAsync())
            {
                return;
            }
        }

        throw new InvalidOperationException($"redis-server did not restart on port {Port}.");
    }

    private async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException("Not running.");
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} failed.");
        }
    }

    /// <summary>Runs a command on this node through <c>redis-cli</c>; returns its raw output.</summary>
    public Task<string> CliAsync(params string[] command) =>
        RedisCluster.CliAsync(["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. command], TimeSpan.FromSeconds(5));

    /// <summary>
    /// A <c>key:value</c> reply (<c>INFO</c>, <c>CLUSTER INFO</c>) as a dictionary; empty when the node does not answer.
    /// E.g. <c>InfoAsync("INFO", "stats")</c>: <c>pubsubshard_channels</c>, <c>total_commands_processed</c>;
    /// <c>InfoAsync("INFO", "commandstats")</c>: <c>cmdstat_spublish</c>.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> InfoAsync(params string[] command)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string text;
        try
        {
            text = await CliAsync(command);
        }
        catch (TimeoutException)
        {
            return result;
        }

        foreach (var line in text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !line.StartsWith('#'))
            {
                result[line[..colon]] = line[(colon + 1)..];
            }
        }

        return result;
    }

    /// <summary>Calls of <paramref name="command"/> this node processed (<c>INFO commandstats</c>, e.g. <c>spublish</c>, <c>publish</c>); 0 when none.</summary>
    public async Task<long> CommandCallsAsync(string command)
    {
        var stats = await InfoAsync("INFO", "commandstats");
        if (!stats.TryGetValue($"cmdstat_{command}", out var value))
        {
            return 0;
        }

        // calls=12,usec=34,usec_per_call=2.83,rejected_calls=0,failed_calls=0
        var calls = value.Split(',')[0];
        return long.Parse(calls["calls=".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>CPU seconds the node used (<c>used_cpu_sys + used_cpu_user</c> of <c>INFO cpu</c>).</summary>
    public async Task<double> CpuSecondsAsync()
    {
        var cpu = await InfoAsync("INFO", "cpu");
        return double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (_stopped)
        {
            await ContinueAsync();
        }

        await KillAsync();
    }
}
