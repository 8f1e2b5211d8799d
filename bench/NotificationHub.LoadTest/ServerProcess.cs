using System.Diagnostics;

namespace NotificationHub.LoadTest;

/// <summary>The NotificationHub server under test, started by the tool on a loopback URL and killed at the end.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public static async Task<ServerProcess> StartAsync(LoadOptions options, CancellationToken cancel)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.GetFullPath(options.ServerDll!), "--urls", options.Url.GetLeftPart(UriPartial.Authority) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(options.ServerDll!))!,
        };
        var env = start.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Auth__SigningKey"] = options.SigningKey;
        env["Redis__ConnectionString"] = options.ServerRedis ?? "";
        env["Logging__LogLevel__Default"] = "Warning";
        env["Logging__LogLevel__NotificationHub"] = "Warning";
        // Connection limits sized for a load test, as the issue asks (RateLimiting:*).
        env["RateLimiting__PerUserConcurrentConnections"] = "1000000";
        env["RateLimiting__PerTenantConcurrentConnections"] = "10000000";
        env["RateLimiting__PerUserConnectionsPerMinute"] = "1000000";
        foreach (var pair in options.ServerEnv)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            env[pair[..eq]] = pair[(eq + 1)..];
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("server: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process);
        using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {process.ExitCode}");
            }

            try
            {
                using var response = await http.GetAsync("/health/live", cancel);
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
            {
            }

            await Task.Delay(200, cancel);
        }

        server.Dispose();
        throw new TimeoutException("the server did not answer /health/live in 30 s");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
