using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Contracts;
using NotificationHub.Server.Auth;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Jobs;

/// <summary>The Re-Enrich endpoint and the embedded worker, end to end through the SSE stream.</summary>
public sealed class JobEndpointTests
{
    private static readonly Dictionary<string, string?> FastWorker = new()
    {
        ["Worker:ItemLatency"] = "00:00:00.010",
        ["Worker:MinProgressInterval"] = "00:00:00",
        ["Worker:ErrorRate"] = "0.2",
        ["Jobs:UsersMayCreateBoms"] = "true", // these tests start BOMs nobody published yet, as in Development
    };

    private static string Items(int count) =>
        JsonSerializer.Serialize(new { items = Enumerable.Range(1, count).Select(i => new { mpn = $"LM{i:000}DR", manufacturer = "TI", quantity = i }) });

    private static async Task<HttpResponseMessage> PostAsync(HubServer server, string path, string token, string? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await server.Client.SendAsync(request).Bounded();
    }

    [Fact]
    public async Task Start_runs_the_job_and_the_stream_shows_started_progress_completed_and_stream_end()
    {
        await using var server = await HubServer.StartAsync(FastWorker);
        var token = server.Token("acme");
        var bom = $"bom-job-{Guid.NewGuid():N}";

        // Claim first (as the portal would), subscribe, then start: the stream sees the whole run.
        Assert.True(await server.Bus.ClaimAsync(bom, "acme"));
        await using var sse = await server.OpenStreamAsync(bom, token);
        await sse.ReadEventAsync(); // connected

        using var start = await PostAsync(server, $"api/enrichment/{bom}/start", token, Items(10));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var jobId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString();

        var events = await sse.ReadToEndAsync();
        Assert.Equal("enrichment.started", events[0].Event);
        Assert.Equal(["enrichment.completed", "stream_end"], events.TakeLast(2).Select(e => e.Event));
        var progress = events.Where(e => e.Event == "progress").Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("state")).ToList();
        Assert.Equal(10, progress.Count); // MinProgressInterval 0: one per item
        var last = -1.0;
        foreach (var state in progress)
        {
            Assert.Equal(state.GetProperty("processed_items").GetInt32(),
                state.GetProperty("enriched_items").GetInt32() + state.GetProperty("error_items").GetInt32());
            var percent = state.GetProperty("percent_complete").GetDouble();
            Assert.True(percent >= last);
            last = percent;
            Assert.False(string.IsNullOrEmpty(state.GetProperty("current_item").GetProperty("mpn").GetString()));
        }

        Assert.Equal(100, last);
        var completed = JsonDocument.Parse(events[^2].Data).RootElement;
        Assert.Equal(jobId, completed.GetProperty("payload").GetProperty("job_id").GetString());
        Assert.Equal(10, completed.GetProperty("state").GetProperty("processed_items").GetInt32());

        // The worker's instruments are exported with the hub's.
        var metrics = await server.Client.GetStringAsync("metrics").Bounded();
        Assert.Contains("notificationhub_jobs_ended_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("notificationhub_jobs_items_total{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_run_the_status_endpoint_and_a_late_subscriber_get_its_final_state()
    {
        await using var server = await HubServer.StartAsync(FastWorker);
        var token = server.Token("acme");
        var bom = $"bom-late-{Guid.NewGuid():N}";
        Assert.True(await server.Bus.ClaimAsync(bom, "acme"));
        await using (var sse = await server.OpenStreamAsync(bom, token))
        {
            using var start = await PostAsync(server, $"api/enrichment/{bom}/start", token, Items(8));
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            await sse.ReadUntilAsync("stream_end");
        }

        using var status = await server.Client.GetAsync($"api/enrichment/status/{bom}?token={token}").Bounded();
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        var state = await status.Content.ReadFromJsonAsync<JsonElement>().Bounded();
        Assert.Equal("completed", state.GetProperty("status").GetString());
        Assert.Equal(8, state.GetProperty("processed_items").GetInt32());
        Assert.Equal(100, state.GetProperty("percent_complete").GetDouble());

        // A subscriber arriving after the end gets the final state and the end, not a replay of the run.
        await using var late = await server.OpenStreamAsync(bom, token);
        var events = await late.ReadToEndAsync();
        Assert.Equal(["connected", "enrichment.completed", "stream_end"], events.Select(e => e.Event));
        Assert.Equal(status.Headers.GetValues("Last-Event-ID").Single(), events[1].Id);
    }

    [Fact]
    public async Task Progress_is_coalesced_when_items_finish_faster_than_the_minimum_interval()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Worker:ItemLatency"] = "00:00:00",
            ["Worker:MinProgressInterval"] = "00:01:00",
            ["Jobs:UsersMayCreateBoms"] = "true",
        });
        var token = server.Token("acme");
        var bom = $"bom-coalesce-{Guid.NewGuid():N}";
        await server.Bus.ClaimAsync(bom, "acme");
        await using var sse = await server.OpenStreamAsync(bom, token);
        await sse.ReadEventAsync();

        using var start = await PostAsync(server, $"api/enrichment/{bom}/start", token, Items(50));
        var events = await sse.ReadToEndAsync();
        var progress = events.Where(e => e.Event == "progress").ToList();

        Assert.InRange(progress.Count, 1, 3);
        var final = JsonDocument.Parse(progress[^1].Data).RootElement.GetProperty("state");
        Assert.Equal(50, final.GetProperty("processed_items").GetInt32());
        Assert.Equal(100, final.GetProperty("percent_complete").GetDouble());
    }

    [Fact]
    public async Task Double_start_is_409_with_the_running_job_and_cancel_ends_with_failed_cancelled()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Worker:ItemLatency"] = "00:00:00.200", ["Jobs:UsersMayCreateBoms"] = "true" });
        var token = server.Token("acme");
        var bom = $"bom-cancel-{Guid.NewGuid():N}";

        using var first = await PostAsync(server, $"api/enrichment/{bom}/start", token, Items(50));
        var jobId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString();
        using var second = await PostAsync(server, $"api/enrichment/{bom}/start", token, null);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("job_running", problem.GetProperty("code").GetString());
        Assert.Equal(jobId, problem.GetProperty("job_id").GetString());

        await using var sse = await server.OpenStreamAsync(bom, token);
        await sse.ReadEventAsync(); // connected
        using var cancel = await PostAsync(server, $"api/enrichment/{bom}/cancel", token, null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);

        var events = await sse.ReadToEndAsync();
        Assert.Equal(["enrichment.failed", "stream_end"], events.TakeLast(2).Select(e => e.Event));
        var failed = JsonDocument.Parse(events[^2].Data).RootElement;
        Assert.Equal("cancelled", failed.GetProperty("error").GetString());
        Assert.Equal("cancelled", failed.GetProperty("state").GetProperty("status").GetString());
        Assert.Equal("failed", JsonDocument.Parse(events[^1].Data).RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_user_cannot_claim_an_unknown_bom_by_starting_it_unless_the_setting_allows_it()
    {
        var bom = $"bom-squat-{Guid.NewGuid():N}";
        await using (var server = await HubServer.StartAsync(new Dictionary<string, string?>(FastWorker) { ["Jobs:UsersMayCreateBoms"] = null }))
        {
            // A user of globex guesses acme's next BOM id: 404, as for any BOM it cannot see, and nothing is claimed.
            using var squat = await PostAsync(server, $"api/enrichment/{bom}/start", server.Token("globex"), Items(1));
            Assert.Equal(HttpStatusCode.NotFound, squat.StatusCode);
            Assert.Equal("bom_not_found", (await squat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

            // acme's publisher then creates it, and acme's users can start it.
            await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 1, total: 1);
            using var own = await PostAsync(server, $"api/enrichment/{bom}/start", server.Token("acme"), Items(1));
            Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);

            // A publisher token bound to a tenant may create a BOM by starting it.
            var publisher = server.Services.GetRequiredService<TokenIssuer>().Issue("acme", "portal", TimeSpan.FromMinutes(5), ClaimNames.PublishScope);
            using var created = await PostAsync(server, $"api/enrichment/{bom}-2/start", publisher, Items(1));
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }

        await using (var permissive = await HubServer.StartAsync(new Dictionary<string, string?>(FastWorker) { ["Jobs:UsersMayCreateBoms"] = "true" }))
        {
            using var created = await PostAsync(permissive, $"api/enrichment/{bom}/start", permissive.Token("acme"), Items(1));
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }
    }

    [Fact]
    public async Task Another_tenant_gets_404_for_start_and_cancel()
    {
        await using var server = await HubServer.StartAsync(FastWorker);
        var bom = $"bom-owned-{Guid.NewGuid():N}";
        using var own = await PostAsync(server, $"api/enrichment/{bom}/start", server.Token("acme"), Items(1));
        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);

        using var foreign = await PostAsync(server, $"api/enrichment/{bom}/start", server.Token("globex"), Items(1));
        using var foreignCancel = await PostAsync(server, $"api/enrichment/{bom}/cancel", server.Token("globex"), null);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignCancel.StatusCode);
    }

    [Theory]
    [InlineData("""{"items":[]}""")]
    [InlineData("""{"items":[{"mpn":""}]}""")]
    [InlineData("""{"items":[{"mpn":"LM358\r\nX"}]}""")]
    [InlineData("""{"items":[{"mpn":"*"}]}""")]
    [InlineData("""not json""")]
    [InlineData(null)]
    public async Task Bad_start_requests_are_400_problem_json(string? body)
    {
        await using var server = await HubServer.StartAsync(FastWorker);
        using var response = await PostAsync(server, $"api/enrichment/bom-bad-{Guid.NewGuid():N}/start", server.Token("acme"), body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_job", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Too_many_items_is_400()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Jobs:MaxItemsPerJob"] = "5", ["Jobs:UsersMayCreateBoms"] = "true" });
        using var response = await PostAsync(server, $"api/enrichment/bom-many/start", server.Token("acme"), Items(6));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("Content-Length: 0")]
    [InlineData("no Content-Length")] // curl -X POST without -d
    [InlineData("empty chunked body")]
    public async Task Start_without_body_re_enriches_the_previous_items(string emptyBody)
    {
        // Items slow enough that the re-run is still going when the stream opens after the 202 (a raw request ends
        // only when the server closes the connection).
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>(FastWorker) { ["Worker:ItemLatency"] = "00:00:00.300" });
        var token = server.Token("acme");
        var bom = $"bom-again-{Guid.NewGuid():N}";
        await server.Bus.ClaimAsync(bom, "acme");

        await using (var sse = await server.OpenStreamAsync(bom, token))
        {
            await sse.ReadEventAsync();
            using var first = await PostAsync(server, $"api/enrichment/{bom}/start", token, Items(3));
            await sse.ReadToEndAsync();
        }

        // No body: the previous items again. A client connecting right after the 202 sees the new run, not the old end.
        var path = $"api/enrichment/{bom}/start";
        var status = emptyBody switch
        {
            "no Content-Length" => (await RawHttp.PostWithoutBodyAsync(server.BaseAddress, path, token)).Status,
            "empty chunked body" => (await RawHttp.PostChunkedAsync(server.BaseAddress, path, token, [], 1)).Status,
            _ => (await PostAsync(server, path, token, null)).StatusCode,
        };
        Assert.Equal(HttpStatusCode.Accepted, status);
        await using var stream = await server.OpenStreamAsync(bom, token);
        var events = await stream.ReadToEndAsync();

        Assert.Equal("connected", events[0].Event);
        Assert.Equal("progress", events[1].Event); // the new run's snapshot (started, or later)
        Assert.Equal(["enrichment.completed", "stream_end"], events.TakeLast(2).Select(e => e.Event));
        Assert.Equal(3, JsonDocument.Parse(events[^2].Data).RootElement.GetProperty("state").GetProperty("total_items").GetInt32());
    }
}
