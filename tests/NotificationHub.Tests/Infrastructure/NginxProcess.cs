using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// The shipped <c>deploy/nginx/nginx.conf</c>, run by Debian's nginx (test.sh installs it) with only its upstream
/// servers (<c>hub1:8080</c>, <c>hub2:8080</c>) and its listen port rewritten to loopback, in a temp prefix.
/// </summary>
public sealed partial class NginxProcess : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/nginx";
    private readonly Process _process;
    private readonly string _dir;

    private NginxProcess(Process process, string dir, Uri baseAddress)
    {
        _process = process;
        _dir = dir;
        BaseAddress = baseAddress;
    }

    /// <summary>http://127.0.0.1:port/ of the load balancer.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts nginx in front of <paramref name="hubs"/> (hub1, hub2 of the shipped config) and waits until it accepts.</summary>
    public static async Task<NginxProcess> StartAsync(IReadOnlyList<Uri> hubs)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: test.sh installs Debian's nginx (apt-get install nginx).");
        var dir = Directory.CreateTempSubdirectory("nh-nginx-").FullName;
        var port = RedisServerFixture.FreePort();
        var config = File.ReadAllText(RepositoryFiles.PathOf("deploy/nginx/nginx.conf"));
        var upstreams = UpstreamServer().Count(config);
        Assert.True(upstreams >= 2, "The shipped nginx.conf names no hub1:8080/hub2:8080 upstream servers.");
        config = UpstreamServer().Replace(config, match => $"server 127.0.0.1:{hubs[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 1].Port}");
        config = ListenPort().Replace(config, $"listen 127.0.0.1:{port}$1");
        var path = Path.Combine(dir, "nginx.conf");
        await File.WriteAllTextAsync(path, config);

        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-p", dir + "/", "-c", path, "-e", Path.Combine(dir, "error.log"), "-g", $"daemon off; pid {Path.Combine(dir, "nginx.pid")};" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var nginx = new NginxProcess(process, dir, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var log = File.Exists(Path.Combine(dir, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "error.log")) : "";
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
                return nginx;
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "nginx did not listen within 10 s.");
                await Task.Delay(50);
            }
        }
    }

    /// <summary>nginx's error log so far (for assertion messages).</summary>
    public string ErrorLog() => File.Exists(Path.Combine(_dir, "error.log")) ? File.ReadAllText(Path.Combine(_dir, "error.log")) : "";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }

    [GeneratedRegex(@"server hub(\d):8080")]
    private static partial Regex UpstreamServer();

    [GeneratedRegex(@"listen 80(\s|;)")]
    private static partial Regex ListenPort();
}
