using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using NotificationHub.Server.Auth;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// The server as its own OS process (the built NotificationHub.Server.dll next to the tests) on a free loopback
/// port: for scale-out and fault tests that need separate nodes that can be terminated or killed.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TokenIssuer _tokens;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output;

    private HubProcess(Process process, Uri baseAddress, TokenIssuer tokens, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        _process = process;
        _output = output;
        _tokens = tokens;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri BaseAddress { get; }

    /// <summary>True once the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>A client for this node.</summary>
    public HttpClient Client { get; }

    /// <summary>Every line the process wrote to stdout and stderr so far (its console log).</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Starts a node with <paramref name="settings"/> (configuration keys, e.g. <c>Redis:ConnectionString</c>) and waits until it is ready.</summary>
    /// <remarks>
    /// Ready, not just live: with Redis, a node refuses streams (503 <c>bus_unavailable</c>) until its connection is up,
    /// exactly as a load balancer would keep clients away from it until then.
    /// </remarks>
    public static async Task<HubProcess> StartAsync(IDictionary<string, string?> settings)
    {
        var port = FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth:SigningKey"] = HubServer.SigningKey,
            ["Auth:ClockSkew"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Shutdown:DrainDelay"] = "00:00:00", // tests of the delay itself set it
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = DotnetProcess.Start("NotificationHub.Server.dll", environment, output.Enqueue);

        var tokens = new TokenIssuer(Options.Create(new AuthOptions { SigningKey = HubServer.SigningKey }));
        var node = new HubProcess(process, new Uri($"http://127.0.0.1:{port}/"), tokens, output);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                // Its last lines say why (an abort at start otherwise leaves nothing to go on).
                throw new InvalidOperationException(
                    $"The server process exited with {process.ExitCode}: {string.Join(Environment.NewLine, output.TakeLast(20))}");
            }

            try
            {
                using var ready = await node.Client.GetAsync("health/ready").WaitAsync(TimeSpan.FromSeconds(2));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return node;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline)
            {
                await node.DisposeAsync();
                throw new TimeoutException("The server process did not become ready within 30 s.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A user token of <paramref name="tenantId"/> (all nodes share the key).</summary>
    public string Token(string tenantId) => _tokens.Issue(tenantId, "user-1", TimeSpan.FromMinutes(10));

    /// <summary>A publisher's service token.</summary>
    public string PublisherToken() => _tokens.Issue(null, "worker", TimeSpan.FromMinutes(10), ClaimNames.PublishScope);

    /// <summary>Publishes <paramref name="json"/> (a publish request) through this node's publishing API; returns the event id.</summary>
    public async Task<string> PublishJsonAsync(string bomId, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bomId}/events")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", PublisherToken());
        using var response = await Client.SendAsync(request).Bounded();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("event_id").GetString()!;
    }

    /// <summary>Kills the node outright (SIGKILL).</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Asks the node to stop (SIGTERM, as an orchestrator does); it drains and exits by itself.</summary>
    public void Terminate()
    {
        // Process.Kill sends SIGKILL on Unix; kill(1) sends the polite signal.
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not run kill.");
        kill.WaitForExit(5000);
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits until the process has exited (bounded by <paramref name="timeout"/>); returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
