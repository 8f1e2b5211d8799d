using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Publishing;

/// <summary>
/// <c>POST /api/enrichment/{bom_id}/events</c> over a real Kestrel server, read back through real SSE streams: the body
/// is read straight into the envelope (no intermediate request object), so what the envelope carries must be what the
/// serializer made of the same request. Runs once per bus backend (subclasses). Refusals: <c>HostileInputTests</c>.
/// </summary>
public abstract class PublishEndpointTests
{
    /// <summary>Starts a server on the backend under test.</summary>
    protected abstract Task<HubServer> StartServerAsync();

    private static string NewBomId() => $"pub-{Guid.NewGuid():N}";

    // Whitespace and newlines between tokens, escapes, non-ASCII text, a number the serializer keeps as written.
    private const string Payload = "{\n  \"note\" : \"caf\\u00e9 \u00f6 \\\"q\\\" \\n<b>\",\n  \"n\\u0061me\": [1, 2.50, -0.0, 1e400, true, false, null, {}, []],\r\n\t\"deep\": {\"a\": {\"b\": [\"\\ud83d\\ude00\"]}}\n}";

    private static async Task<HttpResponseMessage> PostAsync(HubServer server, string bomId, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bomId}/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", server.PublisherToken());
        return await server.Client.SendAsync(request).WaitAsync(TestTimeouts.Default);
    }

    private static async Task<SseEvent> ReadLoggedEventAsync(HubServer server, string bomId, string eventId)
    {
        await using var sse = await server.OpenStreamAsync(bomId, server.Token("acme"), "0-0");
        while (await sse.ReadEventAsync() is { } e)
        {
            if (e.Id == eventId)
            {
                return e;
            }
        }

        throw new Xunit.Sdk.XunitException($"Event {eventId} was not delivered.");
    }

    [Fact]
    public async Task A_published_payload_is_delivered_as_the_serializer_writes_it_minified_on_one_line()
    {
        await using var server = await StartServerAsync();
        var bomId = NewBomId();
        var body = "\uFEFF{\"tenant_id\":\"acme\", \"ignored\": {\"x\": [1]}, \"event_type\":\"enrichment.started\",\n \"payload\": " + Payload
            + ", \"error\": \"not a failure: dropped\"}";

        using var response = await PostAsync(server, bomId, body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var accepted = await response.Content.ReadFromJsonAsync<PublishEventResponse>().WaitAsync(TestTimeouts.Default);
        var delivered = await ReadLoggedEventAsync(server, bomId, accepted!.EventId);
        Assert.Equal(EnrichmentEventNames.Started, delivered.Event);
        Assert.DoesNotContain('\n', delivered.Data);

        // The envelope the serializer writes for the same event (its payload parsed into an element first, as the
        // publishing API did before it read bodies itself): byte for byte, bar the time it was stamped.
        var envelope = EnrichmentJson.DeserializeEnvelope(Encoding.UTF8.GetBytes(delivered.Data));
        using var payload = JsonDocument.Parse(Payload);
        var expected = EnrichmentJson.SerializeEnvelope(new EnrichmentEnvelope
        {
            EventId = accepted.EventId,
            EventType = EnrichmentEventNames.Started,
            BomId = bomId,
            TenantId = "acme",
            CreatedAt = envelope.CreatedAt,
            Payload = payload.RootElement,
        });
        Assert.Equal(Encoding.UTF8.GetString(expected), delivered.Data);
    }

    [Fact]
    public async Task A_body_sent_in_many_small_chunks_is_read_whole_and_published()
    {
        await using var server = await StartServerAsync();
        var bomId = NewBomId();
        var body = Encoding.UTF8.GetBytes("{\"event_type\":\"progress\",\"tenant_id\":\"acme\",\"state\":{\"total_items\":4,\"processed_items\":1},\"payload\":" + Payload + "}");

        var (status, response) = await RawHttp.PostChunkedAsync(server.BaseAddress, $"api/enrichment/{bomId}/events", server.PublisherToken(), body, 7);

        Assert.Equal(HttpStatusCode.Accepted, status);
        var eventId = JsonDocument.Parse(response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement.GetProperty("event_id").GetString()!;
        var delivered = JsonDocument.Parse((await ReadLoggedEventAsync(server, bomId, eventId)).Data).RootElement;
        Assert.Equal(1, delivered.GetProperty("state").GetProperty("processed_items").GetInt32());
        Assert.Equal("caf\u00e9 \u00f6 \"q\" \n<b>", delivered.GetProperty("payload").GetProperty("note").GetString());
    }

    [Fact]
    public async Task A_publisher_token_bound_to_a_tenant_supplies_it_and_refuses_another()
    {
        await using var server = await StartServerAsync();
        var bomId = NewBomId();
        var token = server.Services.GetRequiredService<NotificationHub.Server.Auth.TokenIssuer>()
            .Issue("acme", "worker", TimeSpan.FromMinutes(10), NotificationHub.Server.Auth.ClaimNames.PublishScope);

        async Task<HttpResponseMessage> Post(string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bomId}/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new("Bearer", token);
            return await server.Client.SendAsync(request).WaitAsync(TestTimeouts.Default);
        }

        using var supplied = await Post("{\"event_type\":\"enrichment.started\"}");
        using var other = await Post("{\"event_type\":\"enrichment.started\",\"tenant_id\":\"globex\"}");

        Assert.Equal(HttpStatusCode.Accepted, supplied.StatusCode);
        var accepted = await supplied.Content.ReadFromJsonAsync<PublishEventResponse>().WaitAsync(TestTimeouts.Default);
        Assert.Equal("acme", JsonDocument.Parse((await ReadLoggedEventAsync(server, bomId, accepted!.EventId)).Data).RootElement.GetProperty("tenant_id").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
    }
}
