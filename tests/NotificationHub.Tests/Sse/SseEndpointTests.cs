using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>
/// The SSE endpoint over a real Kestrel server, read as raw bytes. Runs once per bus backend
/// (subclasses), so the embedded default and Redis behave the same on the wire.
/// </summary>
public abstract class SseEndpointTests
{
    private static int s_bomCounter;

    /// <summary>Starts a server on the backend under test.</summary>
    protected abstract Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null);

    private static string NewBomId() => $"bom-{Environment.ProcessId}-{Interlocked.Increment(ref s_bomCounter)}-{Guid.NewGuid():N}"[..40];

    [Fact]
    public async Task Stream_delivers_connected_then_every_event_then_stream_end_and_closes()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);

        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"));
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", sse.Response.Content.Headers.ContentType!.CharSet);
        Assert.True(sse.Response.Headers.CacheControl!.NoCache);
        Assert.Equal("no", sse.Response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Null(sse.Response.Content.Headers.ContentEncoding.FirstOrDefault());

        var connected = await sse.ReadEventAsync();
        Assert.Equal(3000, sse.Retry);
        Assert.Equal(EnrichmentEventNames.Connected, connected!.Event);
        Assert.Null(connected.Id);
        using (var doc = JsonDocument.Parse(connected.Data))
        {
            Assert.Equal("connected", doc.RootElement.GetProperty("type").GetString());
            Assert.Equal(bom, doc.RootElement.GetProperty("bom_id").GetString());
            Assert.True(doc.RootElement.GetProperty("recovered").GetBoolean());
        }

        var snapshot = await sse.ReadEventAsync();
        Assert.Equal(EnrichmentEventNames.Progress, snapshot!.Event); // the started state, as a snapshot

        var published = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            published.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: i)).EventId);
        }

        published.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);

        var rest = await sse.ReadToEndAsync();
        Assert.Equal(
            ["progress", "progress", "progress", "enrichment.completed", "stream_end"],
            rest.Select(e => e.Event));
        Assert.Equal(published, rest.Take(4).Select(e => e.Id));
        foreach (var e in rest.Take(4))
        {
            var envelope = JsonSerializer.Deserialize(e.Data, EnrichmentJsonContext.Default.EnrichmentEnvelope)!;
            Assert.Equal(e.Id, envelope.EventId);
            Assert.Equal(e.Event, envelope.EventType);
            Assert.Equal(bom, envelope.BomId);
            Assert.Equal("acme", envelope.TenantId);
            Assert.Equal(bom, envelope.State!.BomId);
        }

        Assert.Equal(3, JsonDocument.Parse(rest[2].Data).RootElement.GetProperty("state").GetProperty("processed_items").GetInt32());
        using var end = JsonDocument.Parse(rest[^1].Data);
        Assert.Equal("completed", end.RootElement.GetProperty("reason").GetString());
        Assert.Null(rest[^1].Id);
    }

    [Fact]
    public async Task Failed_run_ends_with_error_and_stream_end_failed()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"));
        await sse.ReadUntilAsync(EnrichmentEventNames.Progress);

        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Failed, processed: 1);
        var rest = await sse.ReadToEndAsync();

        Assert.Equal(["enrichment.failed", "stream_end"], rest.Select(e => e.Event));
        Assert.Equal("supplier unavailable", JsonDocument.Parse(rest[0].Data).RootElement.GetProperty("error").GetString());
        Assert.Equal("failed", JsonDocument.Parse(rest[1].Data).RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Resume_with_Last_Event_ID_receives_exactly_the_missed_events()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var token = server.Token("acme");

        string lastSeen;
        await using (var first = await server.OpenStreamAsync(bom, token))
        {
            await first.ReadUntilAsync(EnrichmentEventNames.Progress); // snapshot
            await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 1);
            var seen = await first.ReadEventAsync();
            lastSeen = seen!.Id!;
        } // the client drops mid-stream

        var missed = new List<string>
        {
            (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 2)).EventId,
            (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 3)).EventId,
        };

        await using var resumed = await server.OpenStreamAsync(bom, token, lastEventId: lastSeen);
        var connected = await resumed.ReadEventAsync();
        Assert.True(JsonDocument.Parse(connected!.Data).RootElement.GetProperty("recovered").GetBoolean());
        missed.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);

        var rest = await resumed.ReadToEndAsync();
        Assert.Equal(missed, rest.Where(e => e.Id is not null).Select(e => e.Id));
        Assert.Equal("stream_end", rest[^1].Event);
    }

    [Fact]
    public async Task Resume_id_in_query_parameter_works_for_polyfills()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var first = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var second = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 1);

        await using var sse = await SseConnection.OpenAsync(server.Client,
            $"api/enrichment/stream/{bom}?token={server.Token("acme")}&last_event_id={first.EventId}");
        await sse.ReadEventAsync(); // connected
        var next = await sse.ReadEventAsync();
        Assert.Equal(second.EventId, next!.Id);
    }

    [Fact]
    public async Task Unknown_resume_id_gives_snapshot_and_recovered_false()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var latest = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 2);

        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"), lastEventId: "1-0");
        var connected = await sse.ReadEventAsync();
        Assert.False(JsonDocument.Parse(connected!.Data).RootElement.GetProperty("recovered").GetBoolean());
        var snapshot = await sse.ReadEventAsync();
        Assert.Equal(EnrichmentEventNames.Progress, snapshot!.Event);
        Assert.Equal(latest.EventId, snapshot.Id);
        Assert.Equal(2, JsonDocument.Parse(snapshot.Data).RootElement.GetProperty("state").GetProperty("processed_items").GetInt32());
    }

    [Fact]
    public async Task Finished_bom_gives_terminal_event_then_stream_end_and_resuming_from_it_gives_204()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var completed = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3);
        var token = server.Token("acme");

        await using (var late = await server.OpenStreamAsync(bom, token))
        {
            var events = await late.ReadToEndAsync();
            Assert.Equal(["connected", "enrichment.completed", "stream_end"], events.Select(e => e.Event));
            Assert.Equal(completed.EventId, events[1].Id);
        }

        await using var again = await server.OpenStreamAsync(bom, token, lastEventId: completed.EventId);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task A_resume_id_with_leading_zeros_names_the_same_event_in_the_header_and_the_query()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var progress = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 1);
        var completed = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3);
        var token = server.Token("acme");
        var terminal = "000" + completed.EventId;

        // The finished BOM's terminal event: 204 (not a stream held open with keepalives until the token expires).
        await using (var header = await server.OpenStreamAsync(bom, token, lastEventId: terminal))
        {
            Assert.Equal(HttpStatusCode.NoContent, header.StatusCode);
        }

        await using (var query = await SseConnection.OpenAsync(server.Client, $"api/enrichment/stream/{bom}?token={token}&last_event_id={terminal}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, query.StatusCode);
        }

        // An earlier event, zeros on both parts: exactly the events after it, recovered.
        var padded = $"00{progress.LogId.Milliseconds}-00{progress.LogId.Sequence}";
        await using var resumed = await server.OpenStreamAsync(bom, token, lastEventId: padded);
        var events = await resumed.ReadToEndAsync();
        Assert.Equal(["connected", "enrichment.completed", "stream_end"], events.Select(e => e.Event));
        Assert.True(JsonDocument.Parse(events[0].Data).RootElement.GetProperty("recovered").GetBoolean());
        Assert.Equal(completed.EventId, events[1].Id);
    }

    [Fact]
    public async Task Progress_counts_the_publisher_omits_are_derived_as_the_contract_defines_them()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var token = server.Token("acme");

        // Over the API: enriched and error items only.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
        {
            Content = new StringContent("""{"event_type":"progress","tenant_id":"acme","state":{"total_items":12,"enriched_items":5,"error_items":1}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", server.PublisherToken());
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await using (var sse = await server.OpenStreamAsync(bom, token))
        {
            var state = JsonDocument.Parse((await sse.ReadUntilAsync(EnrichmentEventNames.Progress))[^1].Data).RootElement.GetProperty("state");
            Assert.Equal(6, state.GetProperty("processed_items").GetInt32());
            Assert.Equal(50, state.GetProperty("percent_complete").GetDouble());
        }

        // In process, the same rules; what the publisher states is kept.
        var stated = await server.Bus.PublishAsync(bom, new PublishEventRequest
        {
            EventType = EnrichmentEventNames.Progress,
            TenantId = "acme",
            State = new EnrichmentProgressState { TotalItems = 12, EnrichedItems = 7, ErrorItems = 2, PercentComplete = 70 },
        });
        var kept = stated.ToEnvelope().State!;
        Assert.Equal((9, 70.0), (kept.ProcessedItems, kept.PercentComplete));
    }

    [Fact]
    public async Task Tenants_cannot_see_each_others_boms_and_get_the_same_404_as_unknown()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);

        await using var foreign = await server.OpenStreamAsync(bom, server.Token("globex"));
        await using var unknown = await server.OpenStreamAsync(NewBomId(), server.Token("globex"));

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", foreign.Response.Content.Headers.ContentType!.MediaType);
        var foreignBody = await foreign.Response.Content.ReadFromJsonAsync<JsonElement>();
        var unknownBody = await unknown.Response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bom_not_found", foreignBody.GetProperty("code").GetString());
        Assert.Equal(unknownBody.GetProperty("detail").GetString(), foreignBody.GetProperty("detail").GetString());

        var status = await server.Client.GetAsync($"api/enrichment/status/{bom}?token={server.Token("globex")}");
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Theory]
    [InlineData("bad*id")]
    [InlineData("bom%20id")]
    [InlineData("b%C3%B6m")]
    [InlineData("a%0D%0Aevent:%20x")]
    [InlineData("x[1]")]
    public async Task Invalid_bom_id_is_400_problem(string bomId)
    {
        await using var server = await StartServerAsync();
        await using var sse = await SseConnection.OpenAsync(server.Client, $"api/enrichment/stream/{bomId}?token={server.Token("acme")}");
        Assert.Equal(HttpStatusCode.BadRequest, sse.StatusCode);
        var body = await sse.Response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid_bom_id", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Too_long_bom_id_is_400()
    {
        await using var server = await StartServerAsync();
        await using var sse = await server.OpenStreamAsync(new string('a', BomIds.MaxLength + 1), server.Token("acme"));
        Assert.Equal(HttpStatusCode.BadRequest, sse.StatusCode);
    }

    [Fact]
    public async Task Keepalive_event_is_sent_when_idle()
    {
        await using var server = await StartServerAsync(new Dictionary<string, string?> { ["Stream:KeepAliveInterval"] = "00:00:00.200" });
        var bom = NewBomId();
        await server.Bus.ClaimAsync(bom, "acme");
        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"));
        await sse.ReadEventAsync(); // connected

        var keepalive = await sse.ReadEventAsync();
        Assert.Equal(EnrichmentEventNames.KeepAlive, keepalive!.Event);
        Assert.Null(keepalive.Id);
        var data = JsonDocument.Parse(keepalive.Data).RootElement;
        Assert.Equal("keepalive", data.GetProperty("type").GetString());
        Assert.True(data.GetProperty("timestamp").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task Stream_ends_with_token_expired_when_the_token_expires()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme", lifetime: TimeSpan.FromSeconds(2)));
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);

        var events = await sse.ReadToEndAsync();
        Assert.Equal(["connected", "progress", "stream_end"], events.Select(e => e.Event));
        Assert.Equal("token_expired", JsonDocument.Parse(events[^1].Data).RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Client_disconnect_frees_the_subscription()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        await using (var sse = await server.OpenStreamAsync(bom, server.Token("acme")))
        {
            await sse.ReadUntilAsync(EnrichmentEventNames.Progress);
            Assert.Equal(1, server.Bus.LocalSubscriptionCount);
        }

        // The server notices the closed socket asynchronously; wait for it, bounded.
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (server.Bus.LocalSubscriptionCount != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, server.Bus.LocalSubscriptionCount);
        Assert.Equal(0, server.Bus.TopicCount);
    }

    [Fact]
    public async Task Status_endpoint_returns_latest_state_with_header_or_query_token()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var latest = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 2);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/enrichment/status/{bom}");
        request.Headers.Authorization = new("Bearer", server.Token("acme"));
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(latest.EventId, response.Headers.GetValues("Last-Event-ID").Single());
        var state = await response.Content.ReadFromJsonAsync(EnrichmentJsonContext.Default.EnrichmentProgressState);
        Assert.Equal(2, state!.ProcessedItems);
        Assert.Equal(EnrichmentStatus.Enriching, state.Status);

        var viaQuery = await server.Client.GetAsync($"api/enrichment/status/{bom}?token={server.Token("acme")}");
        Assert.Equal(HttpStatusCode.OK, viaQuery.StatusCode);
    }

    [Fact]
    public async Task Publishing_api_accepts_events_and_stamps_ids()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
        {
            Content = new StringContent("""{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":5},"payload":{"job_id":"j1"}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", server.PublisherToken());
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync(EnrichmentJsonContext.Default.PublishEventResponse);

        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"));
        var events = await sse.ReadUntilAsync(EnrichmentEventNames.Progress);
        Assert.Equal(body!.EventId, events[^1].Id);
        var data = JsonDocument.Parse(events[^1].Data).RootElement;
        Assert.Equal("j1", data.GetProperty("payload").GetProperty("job_id").GetString());
        Assert.Equal(5, data.GetProperty("state").GetProperty("total_items").GetInt32());
    }

    [Fact]
    public async Task Publishing_api_with_a_repeated_idempotency_key_answers_the_first_202_and_appends_nothing()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var first = await PublishWithKeyAsync("\"retry-me-1\""); // the draft's structured-field string
        var repeat = await PublishWithKeyAsync("retry-me-1"); // a bare token names the same key
        var other = await PublishWithKeyAsync("retry-me-2");
        Assert.Equal(HttpStatusCode.Accepted, repeat.Status);
        Assert.Equal(first.EventId, repeat.EventId);
        Assert.NotEqual(first.EventId, other.EventId);

        // The log holds the first and the third publish only.
        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"), "0-0");
        var events = await sse.ReadUntilAsync(EnrichmentEventNames.Progress);
        Assert.Equal(new[] { first.EventId!, other.EventId! }, events.Where(e => e.Id is not null).Select(e => e.Id!).ToArray());

        foreach (var bad in new[] { "", "has space", new string('k', 129) })
        {
            var refused = await PublishWithKeyAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Equal("invalid_idempotency_key", refused.Code);
        }

        async Task<(HttpStatusCode Status, string? EventId, string? Code)> PublishWithKeyAsync(string key)
        {
            var type = key.Contains('2', StringComparison.Ordinal) ? "progress" : "enrichment.started";
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
            {
                Content = new StringContent("{\"event_type\":\"" + type + "\",\"tenant_id\":\"acme\",\"state\":{\"total_items\":5}}",
                    System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", server.PublisherToken());
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            using var response = await server.Client.SendAsync(request);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return (response.StatusCode,
                body.TryGetProperty("event_id", out var id) ? id.GetString() : null,
                body.TryGetProperty("code", out var code) ? code.GetString() : null);
        }
    }

    [Theory]
    [InlineData("""{"event_type":"enrichment.exploded","tenant_id":"acme"}""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress","tenant_id":"acme"}""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress"}""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""not json""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress","tenant_id":"acme","state":{}} {}""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress","tenant_id":"acme","state":{}} x""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress","tenant_id":"globex","state":{}}""", HttpStatusCode.Conflict, "tenant_mismatch")]
    [InlineData("""{"event_type":"progress","tenant_id":"acme","state":{},"payload":{"note":["\ud800"]}}""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress","tenant_id":"acme","state":{"percent_complete":1e400}}""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress","tenant_id":"acme","state":{"percent_complete":140}}""", HttpStatusCode.BadRequest, "invalid_event")]
    [InlineData("""{"event_type":"progress","tenant_id":"acme","state":{"error_items":-1}}""", HttpStatusCode.BadRequest, "invalid_event")]
    public async Task Publishing_api_refuses_bad_events_with_problem_json(string body, HttpStatusCode expected, string code)
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", server.PublisherToken());
        using var response = await server.Client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Publishing_api_needs_the_publish_scope()
    {
        await using var server = await StartServerAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{NewBomId()}/events")
        {
            Content = new StringContent("""{"event_type":"enrichment.started","tenant_id":"acme"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", server.Token("acme"));
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }
}
