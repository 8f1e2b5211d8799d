using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Publishing;

/// <summary>
/// <c>POST /api/enrichment/events</c> over a real Kestrel server, read back through real SSE streams. Runs once per
/// bus backend (subclasses): every rule of the single publish applies to each event on its own.
/// </summary>
public abstract class PublishBatchEndpointTests
{
    private static int s_bomCounter;

    /// <summary>Starts a server on the backend under test.</summary>
    protected abstract Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null);

    private static string NewBomId() => $"bat-{Environment.ProcessId}-{Interlocked.Increment(ref s_bomCounter)}-{Guid.NewGuid():N}"[..40];

    private static string Item(string bomId, string eventType = "progress", string? tenant = "acme", string? key = null, string extra = "") =>
        "{\"bom_id\":\"" + bomId + "\",\"event_type\":\"" + eventType + "\""
        + (tenant is null ? "" : ",\"tenant_id\":\"" + tenant + "\"")
        + (key is null ? "" : ",\"idempotency_key\":\"" + key + "\"")
        + ",\"state\":{\"total_items\":5,\"processed_items\":1}" + extra + "}";

    private static string Batch(params string[] items) => "{\"events\":[" + string.Join(',', items) + "]}";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostBatchAsync(HubServer server, string body, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/enrichment/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", token ?? server.PublisherToken());
        using var response = await server.Client.SendAsync(request).WaitAsync(TestTimeouts.Default);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(TestTimeouts.Default);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return (response.StatusCode, json);
    }

    private static JsonElement[] Results(JsonElement body) => [.. body.GetProperty("results").EnumerateArray()];

    private static string? Code(JsonElement result) => result.TryGetProperty("code", out var code) ? code.GetString() : null;

    /// <summary>
    /// The ids of the BOM's logged events, in log order: a terminal event is published in-process after them, and the
    /// stream from the start of the log is read to its end (the terminal event's id is left out).
    /// </summary>
    private static async Task<string[]> LoggedIdsAsync(HubServer server, string bomId)
    {
        var end = await server.PublishAsync(bomId, "acme", EnrichmentEventNames.Completed);
        await using var sse = await server.OpenStreamAsync(bomId, server.Token("acme"), "0-0");
        var events = await sse.ReadToEndAsync();
        Assert.Equal(end.EventId, events.Last(e => e.Id is not null).Id);
        return [.. events.Where(e => e.Id is not null && e.Id != end.EventId).Select(e => e.Id!)];
    }

    [Fact]
    public async Task A_batch_publishes_events_of_several_boms_each_bom_in_request_order_with_one_result_each()
    {
        await using var server = await StartServerAsync();
        var a = NewBomId();
        var b = NewBomId();
        var (status, body) = await PostBatchAsync(server, Batch(
            Item(a, EnrichmentEventNames.Started), Item(b, EnrichmentEventNames.Started), Item(a), Item(a), Item(b)));

        Assert.Equal(HttpStatusCode.OK, status);
        var results = Results(body);
        Assert.Equal(5, results.Length);
        Assert.All(results, r => Assert.Equal(202, r.GetProperty("status").GetInt32()));
        var ids = results.Select(r => r.GetProperty("event_id").GetString()!).ToArray();

        Assert.Equal(new[] { ids[0], ids[2], ids[3] }, await LoggedIdsAsync(server, a));
        Assert.Equal(new[] { ids[1], ids[4] }, await LoggedIdsAsync(server, b));
    }

    [Fact]
    public async Task Invalid_events_of_a_batch_get_their_own_problem_code_and_the_valid_ones_are_published()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var foreign = NewBomId();
        await server.PublishAsync(foreign, "globex", EnrichmentEventNames.Started);
        var (status, body) = await PostBatchAsync(server, Batch(
            Item(bom, EnrichmentEventNames.Started),
            Item(bom, "enrichment.exploded"),
            Item("not a bom id!"),
            Item(foreign),
            Item(bom, key: "has space"),
            Item(bom, extra: ",\"payload\":{\"note\":[\"\\ud800\"]}"),
            Item(bom, tenant: null),
            Item(bom, extra: ",\"state\":{\"percent_complete\":140}"),
            Item(bom)));

        Assert.Equal(HttpStatusCode.OK, status);
        var results = Results(body);
        Assert.Equal(
            new (int, string?)[]
            {
                (202, null), (400, "invalid_event"), (400, "invalid_bom_id"), (409, "tenant_mismatch"),
                (400, "invalid_idempotency_key"), (400, "invalid_event"), (400, "invalid_event"), (400, "invalid_event"), (202, null),
            },
            results.Select(r => (r.GetProperty("status").GetInt32(), Code(r))).ToArray());
        Assert.All(results.Where(r => Code(r) is not null), r => Assert.False(string.IsNullOrEmpty(r.GetProperty("detail").GetString())));

        // Only the two valid events reached the log; the foreign BOM is untouched.
        Assert.Equal(
            new[] { results[0].GetProperty("event_id").GetString(), results[8].GetProperty("event_id").GetString() },
            await LoggedIdsAsync(server, bom));
        Assert.Equal("globex", (await server.Bus.GetBomForTenantAsync(foreign, "globex"))?.TenantId);
    }

    [Fact]
    public async Task A_tenant_bound_publisher_token_is_refused_per_event_for_another_tenant_and_supplies_a_missing_tenant()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var token = server.Services.GetRequiredService<NotificationHub.Server.Auth.TokenIssuer>()
            .Issue("acme", "worker", TimeSpan.FromMinutes(5), NotificationHub.Server.Auth.ClaimNames.PublishScope);
        var (status, body) = await PostBatchAsync(server, Batch(
            Item(bom, EnrichmentEventNames.Started, tenant: null), Item(bom, tenant: "globex"), Item(bom, tenant: "acme")), token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(new (int, string?)[] { (202, null), (403, "forbidden"), (202, null) },
            Results(body).Select(r => (r.GetProperty("status").GetInt32(), Code(r))).ToArray());
        Assert.Equal("acme", (await server.Bus.GetBomForTenantAsync(bom, "acme"))?.TenantId);
    }

    [Fact]
    public async Task A_repeated_idempotency_key_in_a_batch_answers_the_first_event_id_and_appends_nothing()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var (_, first) = await PostBatchAsync(server, Batch(Item(bom, EnrichmentEventNames.Started, key: "step-1"), Item(bom, key: "step-2")));
        var (status, repeat) = await PostBatchAsync(server, Batch(Item(bom, key: "step-2"), Item(bom, key: "step-3")));

        Assert.Equal(HttpStatusCode.OK, status);
        var firstIds = Results(first).Select(r => r.GetProperty("event_id").GetString()).ToArray();
        var repeatIds = Results(repeat).Select(r => r.GetProperty("event_id").GetString()).ToArray();
        Assert.Equal(firstIds[1], repeatIds[0]);
        Assert.Equal(new[] { firstIds[0], firstIds[1], repeatIds[1] }, await LoggedIdsAsync(server, bom));
    }

    [Theory]
    [InlineData("not json", HttpStatusCode.BadRequest, "invalid_batch")]
    [InlineData("""{"events":[]}""", HttpStatusCode.BadRequest, "invalid_batch")]
    [InlineData("""{}""", HttpStatusCode.BadRequest, "invalid_batch")]
    [InlineData("""[{"bom_id":"x"}]""", HttpStatusCode.BadRequest, "invalid_batch")]
    [InlineData("4 events", HttpStatusCode.BadRequest, "invalid_batch")]
    [InlineData("over the byte limit", HttpStatusCode.RequestEntityTooLarge, "request_too_large")]
    public async Task A_batch_that_is_not_json_empty_over_the_event_limit_or_too_large_is_refused_whole_with_problem_json(
        string body, HttpStatusCode expected, string code)
    {
        await using var server = await StartServerAsync(new Dictionary<string, string?>
        {
            ["Publish:MaxBatchEvents"] = "3",
            ["RequestBody:PublishBatchMaxBytes"] = "2048",
        });
        var bom = NewBomId();
        body = body switch
        {
            "4 events" => Batch(Item(bom, EnrichmentEventNames.Started), Item(bom), Item(bom), Item(bom)),
            "over the byte limit" => Batch(Item(bom, EnrichmentEventNames.Started, extra: ",\"payload\":{\"pad\":\"" + new string('x', 3000) + "\"}")),
            _ => body,
        };

        var (status, problem) = await PostBatchAsync(server, body);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Null(await server.Bus.GetBomForTenantAsync(bom, "acme")); // nothing of a refused batch is published
    }

    [Fact]
    public async Task A_batch_needs_the_publish_scope()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var (status, problem) = await PostBatchAsync(server, Batch(Item(bom, EnrichmentEventNames.Started)), server.Token("acme"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("forbidden", problem.GetProperty("code").GetString());
        Assert.Null(await server.Bus.GetBomForTenantAsync(bom, "acme"));
    }
}
