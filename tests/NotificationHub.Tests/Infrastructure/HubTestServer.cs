using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server;
using NotificationHub.Server.Auth;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// The real server (the same composition as Program) on Kestrel at a free loopback port, with an in-memory bus.
/// </summary>
public sealed class HubTestServer : IAsyncDisposable
{
    public const string SigningKey = "test-signing-key-0123456789-abcdefghijklmnop";

    private HubTestServer(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        Bus = app.Services.GetRequiredService<EnrichmentEventBus>();
        Tokens = app.Services.GetRequiredService<TokenIssuer>();
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public EnrichmentEventBus Bus { get; }

    public TokenIssuer Tokens { get; }

    public Uri HubUrl => new(BaseAddress, "/hubs/enrichment");

    public static async Task<HubTestServer> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var config = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:ClockSkew"] = "00:00:00",
            ["urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.AddNotificationHub();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapNotificationHub();
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new HubTestServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));

        // With Redis, commands fail fast until the connection is up (as a load balancer sees: not ready): wait for it.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            using var ready = await http.GetAsync("health/ready").WaitAsync(TimeSpan.FromSeconds(10));
            if (ready.IsSuccessStatusCode)
            {
                break;
            }

            await Task.Delay(50);
        }

        return server;
    }

    public string MintToken(string tenant, TimeSpan? lifetime = null) =>
        Tokens.Issue(tenant, "user-" + tenant, lifetime ?? TimeSpan.FromHours(1));

    /// <summary>Makes the BOM known and the tenant's without publishing an event.</summary>
    public async Task ClaimAsync(string bomId, string tenant) =>
        Assert.True(await Bus.ClaimAsync(bomId, tenant).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

    /// <summary>Publishes one event of a 3-item run (<paramref name="step"/> items done) and returns its id.</summary>
    public async Task<string> PublishAsync(string bomId, string tenant, string eventType, int step = 0)
    {
        var request = new PublishEventRequest
        {
            EventType = eventType,
            TenantId = tenant,
            State = new EnrichmentProgressState
            {
                TotalItems = 3,
                ProcessedItems = step,
                EnrichedItems = step,
                PercentComplete = Math.Round(step * 100.0 / 3, 2),
                CurrentItem = step > 0 ? new CurrentItem { Mpn = $"MPN-{step}", Status = "enriched", Message = "ok" } : null,
                EstimatedTimeRemaining = 1.5 * (3 - step),
            },
            Payload = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["batch"] = new[] { step, step + 1 },
                ["nested"] = new Dictionary<string, object> { ["flag"] = true, ["ratio"] = 0.25 },
            }),
            Error = eventType == EnrichmentEventNames.Failed ? "boom" : null,
        };
        var published = await Bus.PublishAsync(bomId, request).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return published.EventId;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await App.DisposeAsync();
    }
}
