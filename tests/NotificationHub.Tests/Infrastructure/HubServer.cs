using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server;
using NotificationHub.Server.Auth;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// The real server (the same composition as Program) on a real Kestrel socket at 127.0.0.1, a free port.
/// Mints tokens with the server's own key and publishes through its bus.
/// </summary>
public sealed class HubServer : IAsyncDisposable
{
    /// <summary>Signing key of every test server (HS256 needs 32+ bytes).</summary>
    public const string SigningKey = "notificationhub-test-signing-key-0123456789abcdef";

    private readonly WebApplication _app;
    private int _disposed;

    private HubServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client for the server (no timeout on streams beyond 30 s).</summary>
    public HttpClient Client { get; }

    /// <summary>The server's bus, for publishing as an in-process .NET worker would.</summary>
    public EnrichmentEventBus Bus => _app.Services.GetRequiredService<EnrichmentEventBus>();

    /// <summary>The SignalR hub's URL.</summary>
    public Uri HubUrl => new(BaseAddress, "hubs/enrichment");

    /// <summary>The server's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server; <paramref name="settings"/> override configuration keys (e.g. <c>Stream:KeepAliveInterval</c>).</summary>
    /// <param name="settings">Configuration overrides.</param>
    /// <param name="environmentName">The host environment (Production unless a test needs Development-only endpoints).</param>
    /// <param name="contentRootPath">The content root (default: the current directory).</param>
    /// <param name="configure">Last changes to the builder (e.g. a hub filter).</param>
    public static async Task<HubServer> StartAsync(
        IDictionary<string, string?>? settings = null, string? environmentName = null, string? contentRootPath = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environmentName ?? Environments.Production,
            ContentRootPath = contentRootPath,
        });
        var config = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:ClockSkew"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.AddNotificationHub();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapNotificationHub();
        await app.StartAsync().WaitAsync(TestTimeouts.Default);
        // With a TLS endpoint too (the HTTP/2 tests), the test client talks plain HTTP; the TLS address is the test's.
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .OrderBy(a => a.StartsWith("https:", StringComparison.Ordinal)).First();
        var server = new HubServer(app, new Uri(address + "/"));

        // With Redis, commands fail fast until the connection is up (as a load balancer sees: not ready): wait for it.
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (true)
        {
            using var ready = await server.Client.GetAsync("health/ready").WaitAsync(TestTimeouts.Default);
            if (ready.IsSuccessStatusCode || DateTime.UtcNow > deadline)
            {
                return server; // tests of a Redis that is down on purpose start an unready server
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A user token of <paramref name="tenantId"/>.</summary>
    public string Token(string tenantId, TimeSpan? lifetime = null, string subject = "user-1") =>
        _app.Services.GetRequiredService<TokenIssuer>().Issue(tenantId, subject, lifetime ?? TimeSpan.FromMinutes(10));

    /// <summary>A publisher's service token (scope <c>enrichment:publish</c>, no tenant).</summary>
    public string PublisherToken() =>
        _app.Services.GetRequiredService<TokenIssuer>().Issue(null, "worker", TimeSpan.FromMinutes(10), ClaimNames.PublishScope);

    /// <summary>Publishes through the in-process bus.</summary>
    public Task<BusEvent> PublishAsync(string bomId, string tenantId, string eventType, int processed = 0, int total = 3) =>
        Bus.PublishAsync(bomId, new PublishEventRequest
        {
            EventType = eventType,
            TenantId = tenantId,
            State = new EnrichmentProgressState
            {
                TotalItems = total,
                ProcessedItems = processed,
                EnrichedItems = processed,
                PercentComplete = total == 0 ? 0 : Math.Round(100.0 * processed / total, 2),
                CurrentItem = processed > 0 ? new CurrentItem { Mpn = $"MPN-{processed}", Status = "enriched", Message = "ok" } : null,
                EstimatedTimeRemaining = 1.5 * (total - processed),
            },

            // Nested maps, arrays, booleans and fractions: what the MessagePack protocol must carry unchanged.
            Payload = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["batch"] = new[] { processed, processed + 1 },
                ["nested"] = new Dictionary<string, object> { ["flag"] = true, ["ratio"] = 0.25 },
            }),
            Error = eventType == EnrichmentEventNames.Failed ? "supplier unavailable" : null,
        }).AsTask().WaitAsync(TestTimeouts.Default);

    /// <summary>Makes the BOM known and the tenant's without publishing an event.</summary>
    public async Task ClaimAsync(string bomId, string tenantId) =>
        Assert.True(await Bus.ClaimAsync(bomId, tenantId).AsTask().WaitAsync(TestTimeouts.Default));

    /// <summary>Opens the SSE stream of <paramref name="bomId"/>.</summary>
    public Task<SseConnection> OpenStreamAsync(string bomId, string token, string? lastEventId = null) =>
        SseConnection.OpenAsync(Client, $"api/enrichment/stream/{Uri.EscapeDataString(bomId)}?token={token}", lastEventId);

    /// <summary>Opens the multi-BOM SSE stream of <paramref name="bomIds"/> (<paramref name="lastEventId"/>: a cursor, sent as <c>Last-Event-ID</c>).</summary>
    public Task<SseConnection> OpenMultiStreamAsync(IEnumerable<string> bomIds, string token, string? lastEventId = null) =>
        SseConnection.OpenAsync(Client, MultiStreamPath(bomIds, token), lastEventId);

    /// <summary>The path of the multi-BOM SSE stream of <paramref name="bomIds"/>.</summary>
    public static string MultiStreamPath(IEnumerable<string> bomIds, string token) =>
        "api/enrichment/stream?" + string.Join('&', bomIds.Select(b => "bom_id=" + Uri.EscapeDataString(b))) + "&token=" + token;

    /// <summary>Stops the server gracefully (as on SIGTERM).</summary>
    public Task StopAsync() => _app.StopAsync(TimeSpan.FromSeconds(5)).WaitAsync(TimeSpan.FromSeconds(10));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // a test that disposed it early, and its using
        }

        Client.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
    }
}
