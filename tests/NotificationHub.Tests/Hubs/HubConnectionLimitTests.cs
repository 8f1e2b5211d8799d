using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// The connection limits over every SignalR transport, with the official .NET client: one user gets exactly
/// <c>RateLimiting:PerUserConcurrentConnections</c> hub connections, the next ones are refused with 429,
/// <c>Retry-After</c> and the <c>rate_limited</c> problem before their transport starts, and closing one frees its slot.
/// </summary>
public sealed class HubConnectionLimitTests
{
    private const int Limit = 20;
    private const int Extra = 3;

    private static Task<HubServer> StartServerAsync(int perTenant = 1000) => HubServer.StartAsync(new Dictionary<string, string?>
    {
        ["RateLimiting:PerUserConcurrentConnections"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:PerTenantConcurrentConnections"] = perTenant.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:PerUserConnectionsPerMinute"] = "100000",
    });

    private static HubConnection Build(HubServer server, string token, HttpTransportType transport) =>
        new HubConnectionBuilder().WithUrl(server.HubUrl, options =>
        {
            options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            options.Transports = transport;
            options.SkipNegotiation = transport == HttpTransportType.WebSockets; // no negotiate call at all
        }).Build();

    /// <summary>Starts a connection; null when it was refused with 429 (the status is all a refused start tells).</summary>
    private static async Task<HubConnection?> TryConnectAsync(HubServer server, string token, HttpTransportType transport)
    {
        var connection = Build(server, token, transport);
        try
        {
            await connection.StartAsync().Bounded();
            return connection;
        }
        catch (Exception ex) when (Is429(ex))
        {
            await connection.DisposeAsync();
            return null;
        }
    }

    private static bool Is429(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: HttpStatusCode.TooManyRequests } => true,
        WebSocketException => ex.Message.Contains("429", StringComparison.Ordinal),
        AggregateException aggregate => aggregate.InnerExceptions.Any(Is429), // the client tried each allowed transport
        _ => ex.InnerException is { } inner && Is429(inner),
    };

    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.LongPolling)]
    [InlineData(HttpTransportType.ServerSentEvents)]
    public async Task One_user_gets_exactly_the_limit_of_hub_connections_on_every_transport_and_a_closed_one_frees_its_slot(HttpTransportType transport)
    {
        await using var server = await StartServerAsync();
        var token = server.Token("acme");
        var open = new List<HubConnection>();
        try
        {
            var refused = 0;
            for (var i = 0; i < Limit + Extra; i++)
            {
                if (await TryConnectAsync(server, token, transport) is { } connection)
                {
                    open.Add(connection);
                }
                else
                {
                    refused++;
                }
            }

            Assert.Equal(Limit, open.Count);
            Assert.Equal(Extra, refused);

            // The refusal as a raw client sees it: 429, Retry-After, the problem, before the transport starts.
            await AssertRawRefusalAsync(server, token, transport);

            // The connections that got in work.
            var bom = $"bom-limit-{Guid.NewGuid():N}";
            await server.PublishAsync(bom, "acme", NotificationHub.Contracts.EnrichmentEventNames.Started);
            var subscribed = await open[^1].InvokeAsync<JsonElement>("SubscribeBom", bom, null).Bounded();
            Assert.Equal(bom, subscribed.GetProperty("bom_id").GetString());

            // Closing one gives its slot back (asynchronously: the server notices the closed connection).
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var deadline = DateTime.UtcNow + TestTimeouts.Default;
            HubConnection? again;
            while ((again = await TryConnectAsync(server, token, transport)) is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "The closed connection's slot was not freed.");
                await Task.Delay(50);
            }

            open.Add(again);
            Assert.Null(await TryConnectAsync(server, token, transport)); // and the limit holds again
        }
        finally
        {
            await Task.WhenAll(open.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    private static async Task AssertRawRefusalAsync(HubServer server, string token, HttpTransportType transport)
    {
        if (transport == HttpTransportType.WebSockets)
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            var url = new UriBuilder(server.HubUrl) { Scheme = "ws" }.Uri;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None).Bounded());
            Assert.Equal(HttpStatusCode.TooManyRequests, socket.HttpStatusCode);
            Assert.True(socket.HttpResponseHeaders!.ContainsKey("Retry-After"));
            return;
        }

        var connectionToken = await NegotiateAsync(server, token);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"hubs/enrichment?id={connectionToken}");
        request.Headers.Authorization = new("Bearer", token);
        if (transport == HttpTransportType.ServerSentEvents)
        {
            request.Headers.Accept.ParseAdd("text/event-stream");
        }

        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Bounded();
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("rate_limited", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    /// <summary>A raw negotiation; returns the connection token.</summary>
    internal static async Task<string> NegotiateAsync(HubServer server, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "hubs/enrichment/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await server.Client.SendAsync(request).Bounded();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("connectionToken").GetString()!;
    }

    [Fact]
    public async Task Hub_connections_and_sse_streams_share_the_per_tenant_limit()
    {
        await using var server = await StartServerAsync(perTenant: 2);
        await server.PublishAsync("bom-shared", "acme", NotificationHub.Contracts.EnrichmentEventNames.Started);
        await using var stream = await server.OpenStreamAsync("bom-shared", server.Token("acme", subject: "a"));
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var hub = await TryConnectAsync(server, server.Token("acme", subject: "b"), HttpTransportType.LongPolling);
        Assert.NotNull(hub);
        await using (hub)
        {
            Assert.Null(await TryConnectAsync(server, server.Token("acme", subject: "c"), HttpTransportType.WebSockets));
            await using var refused = await server.OpenStreamAsync("bom-shared", server.Token("acme", subject: "d"));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

            // Another tenant is not affected.
            var other = await TryConnectAsync(server, server.Token("globex"), HttpTransportType.ServerSentEvents);
            Assert.NotNull(other);
            await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task Negotiations_and_direct_websockets_count_against_the_per_minute_limit()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["RateLimiting:PerUserConnectionsPerMinute"] = "2" });
        var token = server.Token("acme");
        await using var first = await TryConnectAsync(server, token, HttpTransportType.WebSockets); // no negotiation
        await using var second = await TryConnectAsync(server, token, HttpTransportType.LongPolling); // negotiation
        Assert.NotNull(first);
        Assert.NotNull(second);

        using var request = new HttpRequestMessage(HttpMethod.Post, "hubs/enrichment/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await server.Client.SendAsync(request).Bounded();
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds >= 1);
    }
}
