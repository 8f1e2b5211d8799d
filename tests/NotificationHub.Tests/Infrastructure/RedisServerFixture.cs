using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// A throwaway <c>redis-server</c> on a free loopback port, without persistence, in its own temp dir.
/// Shared by the classes of the <c>redis</c> collection; tests isolate themselves with unique BOM ids and key prefixes.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    // test.sh installs Debian's redis-server there; elsewhere the one on PATH is used.
    internal static readonly string ServerPath = File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private Process? _process;
    private string? _dir;
    private ConnectionMultiplexer? _redis;

    /// <summary>StackExchange.Redis connection string of the server.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>A connection tests may share (a backend never disposes the multiplexer it is given).</summary>
    public IConnectionMultiplexer Redis => _redis ?? throw new InvalidOperationException("Not started.");

    /// <summary>A new, separate connection: another node's, for cross-node tests. The caller disposes it.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(ConnectionString);

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("nh-redis-").FullName;

        // The free port is found by binding port 0 and releasing it; another process could take it in between,
        // so a start that fails is retried on a new port.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            _process = await TryStartServerAsync(["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir], _dir, port);
            if (_process is not null)
            {
                ConnectionString = $"127.0.0.1:{port}";
                break;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"redis-server did not answer PING within {StartTimeout}.");
            }
        }

        _redis = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Kill();
        if (_dir is not null)
        {
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

    /// <summary>
    /// Starts <c>redis-server</c> with <paramref name="arguments"/> in <paramref name="directory"/> and waits until it answers
    /// PING on <paramref name="port"/>; returns null (the process killed) when it does not, e.g. because another process
    /// took the free port in between. Every fixture of the Redis family (single node, private, cluster, Sentinel) starts
    /// its servers here.
    /// </summary>
    internal static async Task<Process?> TryStartServerAsync(IEnumerable<string> arguments, string directory, int port)
    {
        var start = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await WaitForPingAsync(process, port))
        {
            return process;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
        return null;
    }

    /// <summary>Waits until the server of <paramref name="process"/> answers PING on <paramref name="port"/>.</summary>
    internal static async Task<bool> WaitForPingAsync(Process process, int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout && !process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[16];
                var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        return false;
    }

    private void Kill()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        _process = null;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The classes that share one <see cref="RedisServerFixture"/>.</summary>
[CollectionDefinition("redis")]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>;
