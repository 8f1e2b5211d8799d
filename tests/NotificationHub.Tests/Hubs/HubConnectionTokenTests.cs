using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// A SignalR connection token is bound to the tenant and subject that negotiated it: another principal using it (raw
/// requests, as an attacker holding a leaked token would send them) gets 404 on every transport, and nothing of the
/// connection runs or is read.
/// </summary>
public sealed class HubConnectionTokenTests
{
    private const char RecordSeparator = '\u001e';

    private static async Task<HttpResponseMessage> SendAsync(HubServer server, HttpMethod method, string connectionToken, string bearer,
        string? body = null, bool eventStream = false)
    {
        using var request = new HttpRequestMessage(method, $"hubs/enrichment?id={connectionToken}");
        request.Headers.Authorization = new("Bearer", bearer);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        }

        if (eventStream)
        {
            request.Headers.Accept.ParseAdd("text/event-stream");
        }

        return await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Bounded();
    }

    private static string Invocation(string id, string bomId) =>
        JsonSerializer.Serialize(new { type = 1, invocationId = id, target = "SubscribeBom", arguments = new object?[] { bomId, null } }) + RecordSeparator;

    [Fact]
    public async Task Another_principal_gets_404_with_a_long_polling_connection_token_and_nothing_runs_or_is_polled()
    {
        await using var server = await HubServer.StartAsync();
        var bom = $"bom-token-{Guid.NewGuid():N}";
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var alice = server.Token("acme", subject: "alice");
        var connectionToken = await HubConnectionLimitTests.NegotiateAsync(server, alice);

        // Alice starts long polling (the first poll returns at once) and shakes hands.
        using (var first = await SendAsync(server, HttpMethod.Get, connectionToken, alice))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var handshake = await SendAsync(server, HttpMethod.Post, connectionToken, alice, """{"protocol":"json","version":1}""" + RecordSeparator))
        {
            Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        }

        using (var handshakeAnswer = await SendAsync(server, HttpMethod.Get, connectionToken, alice))
        {
            Assert.Equal("{}" + RecordSeparator, await handshakeAnswer.Content.ReadAsStringAsync());
        }

        // Bob of another tenant, and Carol of the same tenant: invoke on it, poll it, read it as SSE, delete it.
        foreach (var intruder in new[] { server.Token("globex", subject: "bob"), server.Token("acme", subject: "carol") })
        {
            using var invoke = await SendAsync(server, HttpMethod.Post, connectionToken, intruder, Invocation("intruder", bom));
            using var poll = await SendAsync(server, HttpMethod.Get, connectionToken, intruder);
            using var sse = await SendAsync(server, HttpMethod.Get, connectionToken, intruder, eventStream: true);
            using var delete = await SendAsync(server, HttpMethod.Delete, connectionToken, intruder);
            foreach (var response in new[] { invoke, poll, sse, delete })
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal("connection_not_found", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
            }
        }

        // Alice's connection is intact, and no intruder's invocation ran on it: her next poll holds only her own call.
        using (var own = await SendAsync(server, HttpMethod.Post, connectionToken, alice, Invocation("alice", bom)))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        var received = new StringBuilder();
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (!received.ToString().Contains("\"invocationId\":\"alice\"", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Alice's result did not arrive; got {received}");
            using var poll = await SendAsync(server, HttpMethod.Get, connectionToken, alice);
            Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
            received.Append(await poll.Content.ReadAsStringAsync());
        }

        Assert.DoesNotContain("intruder", received.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_principal_cannot_start_a_negotiated_connection_over_websockets_or_sse()
    {
        await using var server = await HubServer.StartAsync();
        var alice = server.Token("acme", subject: "alice");
        var bob = server.Token("globex", subject: "bob");
        var connectionToken = await HubConnectionLimitTests.NegotiateAsync(server, alice);

        using (var socket = new ClientWebSocket())
        {
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bob);
            var url = new UriBuilder(server.HubUrl) { Scheme = "ws", Query = "id=" + connectionToken }.Uri;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None).Bounded());
            Assert.Equal(HttpStatusCode.NotFound, socket.HttpStatusCode);
        }

        using (var sse = await SendAsync(server, HttpMethod.Get, connectionToken, bob, eventStream: true))
        {
            Assert.Equal(HttpStatusCode.NotFound, sse.StatusCode);
        }

        // The token is still Alice's to start.
        using var alices = new ClientWebSocket();
        alices.Options.SetRequestHeader("Authorization", "Bearer " + alice);
        await alices.ConnectAsync(new UriBuilder(server.HubUrl) { Scheme = "ws", Query = "id=" + connectionToken }.Uri, CancellationToken.None).Bounded();
        Assert.Equal(WebSocketState.Open, alices.State);
        alices.Abort();
    }
}
