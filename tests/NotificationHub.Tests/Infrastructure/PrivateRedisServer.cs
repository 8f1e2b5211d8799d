using System.Diagnostics;
using System.Globalization;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// A redis-server of one test's own, which the test may kill (SIGKILL) and restart on the same port with the same
/// data directory: for fault tests, which must not take down the shared <see cref="RedisServerFixture"/>.
/// With <c>persistent</c>, every write is in the append-only file before Redis answers it (<c>appendfsync always</c>),
/// so whatever a client was told was stored survives the kill.
/// </summary>
public sealed class PrivateRedisServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly int _port;
    private readonly bool _persistent;
    private Process? _process;

    private PrivateRedisServer(string dir, int port, bool persistent)
    {
        _dir = dir;
        _port = port;
        _persistent = persistent;
    }

    /// <summary>StackExchange.Redis connection string of the server (stays the same across restarts).</summary>
    public string ConnectionString => $"127.0.0.1:{_port}";

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<PrivateRedisServer> StartAsync(bool persistent)
    {
        var dir = Directory.CreateTempSubdirectory("nh-redis-private-").FullName;
        for (var attempt = 1; ; attempt++)
        {
            var server = new PrivateRedisServer(dir, RedisServerFixture.FreePort(), persistent);
            if (await server.TryStartAsync())
            {
                return server;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException("redis-server did not start.");
            }
        }
    }

    /// <summary>Kills the server outright (SIGKILL): no shutdown, no final save.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not running.");
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        process.Dispose();
        _process = null;
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open, nothing is answered, as in a long stall.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Lets a frozen server run again (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException("Not running.");
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
    }

    /// <summary>Starts the server again on the same port and data directory (it loads its append-only file).</summary>
    public async Task RestartAsync()
    {
        // The port was just released by the kill; a bind can still fail briefly, so retry a few times.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            if (await TryStartAsync())
            {
                return;
            }
        }

        throw new InvalidOperationException($"redis-server did not restart on port {_port}.");
    }

    private async Task<bool> TryStartAsync()
    {
        string[] args =
        [
            "--port", _port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _dir, "--save", "",
            .. _persistent ? new[] { "--appendonly", "yes", "--appendfsync", "always" } : ["--appendonly", "no"],
        ];
        _process = await RedisServerFixture.TryStartServerAsync(args, _dir, _port);
        return _process is not null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await KillAsync();
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
