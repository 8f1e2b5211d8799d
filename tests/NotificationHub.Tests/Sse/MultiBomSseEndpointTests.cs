using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>
/// The multi-BOM SSE stream (<c>GET /api/enrichment/stream?bom_id=a&amp;bom_id=b…</c>) over a real Kestrel server,
/// read as raw bytes, once per bus backend (subclasses): each BOM exactly as its own stream, the cursor as every
/// event's id, per-BOM <c>stream_end</c>, resume with the browser's <c>Last-Event-ID</c>, and every refusal.
/// </summary>
public abstract class MultiBomSseEndpointTests
{
    // The longest cursor a stream of the default 20 BOMs accepts (docs/protocol.md §3.4).
    private const int CursorBound = 3422;

    private static int s_bomCounter;

    /// <summary>Starts a server on the backend under test.</summary>
    protected abstract Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null);

    private static string NewBomId() => $"mbom-{Environment.ProcessId}-{Interlocked.Increment(ref s_bomCounter)}-{Guid.NewGuid():N}"[..40];

    [Fact]
    public async Task Stream_lists_every_bom_then_delivers_each_boms_events_with_the_cursor_as_id_and_closes_after_the_last_stream_end()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId()];
        foreach (var bom in boms)
        {
            await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        }

        await using var sse = await server.OpenMultiStreamAsync(boms, server.Token("acme"));
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no", sse.Response.Headers.GetValues("X-Accel-Buffering").Single());

        var connected = (await sse.ReadEventAsync())!;
        Assert.Equal(3000, sse.Retry);
        Assert.Equal(EnrichmentEventNames.Connected, connected.Event);
        Assert.Null(connected.Id);
        var payload = JsonSerializer.Deserialize(connected.Data, EnrichmentJsonContext.Default.MultiBomConnectedEvent)!;
        Assert.Equal("connected", payload.Type);
        Assert.Equal(boms.Select(b => new ConnectedBom { BomId = b, Recovered = true, Ended = false }), payload.Boms);

        var cursor = new ExpectedCursor(boms);
        var snapshots = new[] { (await sse.ReadEventAsync())!, (await sse.ReadEventAsync())! };
        Assert.Equal(boms.Order(), snapshots.Select(e => Envelope(e).BomId).Order());
        foreach (var snapshot in snapshots)
        {
            Assert.Equal(EnrichmentEventNames.Progress, snapshot.Event);
            Assert.Equal(cursor.After(snapshot), snapshot.Id);
        }

        var published = new Dictionary<string, List<string>> { [boms[0]] = [], [boms[1]] = [] };
        published[boms[0]].Add((await server.PublishAsync(boms[0], "acme", EnrichmentEventNames.Progress, processed: 1)).EventId);
        published[boms[1]].Add((await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Progress, processed: 1)).EventId);
        published[boms[0]].Add((await server.PublishAsync(boms[0], "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);

        // The first BOM ends; the stream stays open for the second.
        var untilFirstEnd = await sse.ReadUntilAsync(EnrichmentEventNames.StreamEnd);
        var firstEnd = JsonSerializer.Deserialize(untilFirstEnd[^1].Data, EnrichmentJsonContext.Default.StreamEndEvent)!;
        Assert.Equal((boms[0], StreamEndReasons.Completed), (firstEnd.BomId, firstEnd.Reason));
        Assert.Null(untilFirstEnd[^1].Id);

        published[boms[1]].Add((await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Progress, processed: 2)).EventId);
        published[boms[1]].Add((await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Failed, processed: 2)).EventId);
        var rest = await sse.ReadToEndAsync();
        Assert.Equal(EnrichmentEventNames.StreamEnd, rest[^1].Event);
        var lastEnd = JsonSerializer.Deserialize(rest[^1].Data, EnrichmentJsonContext.Default.StreamEndEvent)!;
        Assert.Equal((boms[1], StreamEndReasons.Failed), (lastEnd.BomId, lastEnd.Reason));

        // Every bus event: its own BOM's envelope unchanged, in that BOM's order, with the cursor after it as its id.
        var events = untilFirstEnd.Concat(rest).Where(e => e.Event != EnrichmentEventNames.StreamEnd).ToList();
        foreach (var e in events)
        {
            var envelope = Envelope(e);
            Assert.Equal(e.Event, envelope.EventType);
            Assert.Equal("acme", envelope.TenantId);
            Assert.Equal(cursor.After(e), e.Id);
        }

        foreach (var bom in boms)
        {
            Assert.Equal(published[bom], events.Select(Envelope).Where(en => en.BomId == bom).Select(en => en.EventId));
        }

        Assert.DoesNotContain(rest, e => e.Event != EnrichmentEventNames.StreamEnd && Envelope(e).BomId == boms[0]); // nothing after its end
    }

    [Fact]
    public async Task Resume_with_the_last_cursor_as_Last_Event_ID_loses_nothing_and_repeats_nothing_on_any_bom()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId(), NewBomId()];
        var all = new Dictionary<string, List<string>>();
        foreach (var bom in boms)
        {
            all[bom] = [(await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started)).EventId];
        }

        var token = server.Token("acme");
        var received = boms.ToDictionary(b => b, _ => new List<string>());
        string lastCursor;
        await using (var first = await server.OpenMultiStreamAsync(boms, token))
        {
            await first.ReadEventAsync(); // connected
            all[boms[1]].Add((await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Progress, processed: 1)).EventId);
            SseEvent? last = null;
            for (var i = 0; i < 4; i++) // three snapshots and the live event
            {
                last = (await first.ReadEventAsync())!;
                var envelope = Envelope(last);
                received[envelope.BomId].Add(envelope.EventId);
            }

            lastCursor = last!.Id!;
        } // the connection drops, as a browser's does

        // Missed on every BOM while away, including the first BOM's end.
        all[boms[0]].Add((await server.PublishAsync(boms[0], "acme", EnrichmentEventNames.Progress, processed: 1)).EventId);
        all[boms[0]].Add((await server.PublishAsync(boms[0], "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);
        all[boms[1]].Add((await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Progress, processed: 2)).EventId);
        all[boms[2]].Add((await server.PublishAsync(boms[2], "acme", EnrichmentEventNames.Progress, processed: 1)).EventId);

        await using var resumed = await server.OpenMultiStreamAsync(boms, token, lastEventId: lastCursor);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var connected = JsonSerializer.Deserialize((await resumed.ReadEventAsync())!.Data, EnrichmentJsonContext.Default.MultiBomConnectedEvent)!;
        Assert.All(connected.Boms, b => Assert.True(b.Recovered && !b.Ended));
        all[boms[1]].Add((await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);
        all[boms[2]].Add((await server.PublishAsync(boms[2], "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);

        var rest = await resumed.ReadToEndAsync();
        foreach (var e in rest.Where(e => e.Event != EnrichmentEventNames.StreamEnd))
        {
            var envelope = Envelope(e);
            received[envelope.BomId].Add(envelope.EventId);
        }

        foreach (var bom in boms)
        {
            Assert.Equal(all[bom], received[bom]);
        }

        Assert.Equal(3, rest.Count(e => e.Event == EnrichmentEventNames.StreamEnd));
    }

    [Fact]
    public async Task The_cursor_in_the_query_works_for_polyfills_and_the_header_wins_over_it()
    {
        await using var server = await StartServerAsync();
        var bom = NewBomId();
        var started = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var progress = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 1);
        var token = server.Token("acme");
        var path = HubServer.MultiStreamPath([bom], token);

        await using (var query = await SseConnection.OpenAsync(server.Client, $"{path}&last_event_id=m1,{bom}={started.EventId}"))
        {
            await query.ReadEventAsync(); // connected
            Assert.Equal(progress.EventId, Envelope((await query.ReadEventAsync())!).EventId);
        }

        await using var both = await SseConnection.OpenAsync(server.Client, $"{path}&last_event_id=garbage", lastEventId: $"m1,{bom}={started.EventId}");
        Assert.Equal(HttpStatusCode.OK, both.StatusCode);
    }

    [Fact]
    public async Task Repeated_bom_ids_are_collapsed_keeping_the_first_place()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId()];
        foreach (var bom in boms)
        {
            await server.ClaimAsync(bom, "acme");
        }

        await using var sse = await server.OpenMultiStreamAsync([boms[1], boms[0], boms[1], boms[0]], server.Token("acme"));
        var connected = JsonSerializer.Deserialize((await sse.ReadEventAsync())!.Data, EnrichmentJsonContext.Default.MultiBomConnectedEvent)!;
        Assert.Equal([boms[1], boms[0]], connected.Boms.Select(b => b.BomId));
        Assert.Equal(2, server.Bus.LocalSubscriptionCount);
    }

    [Fact]
    public async Task A_bom_ended_at_the_cursor_is_listed_as_ended_and_gets_nothing_more_and_204_when_all_are()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId()];
        var completed = new List<string>();
        foreach (var bom in boms)
        {
            await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
            completed.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);
        }

        var token = server.Token("acme");
        var onlyFirstEnded = $"m1,{boms[0]}={completed[0]}";
        await using (var sse = await server.OpenMultiStreamAsync(boms, token, onlyFirstEnded))
        {
            var events = await sse.ReadToEndAsync();
            Assert.Equal(["connected", "enrichment.completed", "stream_end"], events.Select(e => e.Event));
            var connected = JsonSerializer.Deserialize(events[0].Data, EnrichmentJsonContext.Default.MultiBomConnectedEvent)!;
            Assert.Equal([(boms[0], true), (boms[1], false)], connected.Boms.Select(b => (b.BomId, b.Ended)));
            Assert.Equal(boms[1], Envelope(events[1]).BomId);
            Assert.Equal($"m1,{boms[0]}={completed[0]},{boms[1]}={completed[1]}", events[1].Id); // the ended BOM keeps its entry
            Assert.Equal(boms[1], JsonSerializer.Deserialize(events[2].Data, EnrichmentJsonContext.Default.StreamEndEvent)!.BomId);
            await using var again = await server.OpenMultiStreamAsync(boms, token, events[1].Id);
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        // Leading zeros name the same terminal event, as on the single-BOM stream.
        await using var padded = await server.OpenMultiStreamAsync(boms, token, $"m1,{boms[1]}=000{completed[1]},{boms[0]}={completed[0]}");
        Assert.Equal(HttpStatusCode.NoContent, padded.StatusCode);
    }

    [Fact]
    public async Task A_cursor_log_id_the_log_no_longer_holds_gives_that_boms_snapshot_with_recovered_false()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId()];
        var started = new List<string>();
        foreach (var bom in boms)
        {
            started.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started)).EventId);
        }

        var latest = await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Progress, processed: 2);

        await using var sse = await server.OpenMultiStreamAsync(boms, server.Token("acme"), $"m1,{boms[0]}={started[0]},{boms[1]}=1-0");
        var connected = JsonSerializer.Deserialize((await sse.ReadEventAsync())!.Data, EnrichmentJsonContext.Default.MultiBomConnectedEvent)!;
        Assert.Equal([true, false], connected.Boms.Select(b => b.Recovered));
        var snapshot = (await sse.ReadEventAsync())!; // nothing after the first BOM's resume id
        Assert.Equal((boms[1], latest.EventId, EnrichmentEventNames.Progress), (Envelope(snapshot).BomId, Envelope(snapshot).EventId, snapshot.Event));
        Assert.Equal($"m1,{boms[0]}={started[0]},{boms[1]}={latest.EventId}", snapshot.Id);
    }

    [Fact]
    public async Task One_foreign_or_unknown_bom_among_valid_ones_refuses_the_whole_request_with_the_same_404()
    {
        await using var server = await StartServerAsync();
        var mine = NewBomId();
        var foreign = NewBomId();
        await server.ClaimAsync(mine, "acme");
        await server.ClaimAsync(foreign, "globex");
        var token = server.Token("acme");

        await using var withForeign = await server.OpenMultiStreamAsync([mine, foreign], token);
        await using var withUnknown = await server.OpenMultiStreamAsync([mine, NewBomId()], token);

        Assert.Equal(HttpStatusCode.NotFound, withForeign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withUnknown.StatusCode);
        Assert.Equal("application/problem+json", withForeign.Response.Content.Headers.ContentType!.MediaType);
        var foreignBody = await withForeign.Response.Content.ReadFromJsonAsync<JsonElement>();
        var unknownBody = await withUnknown.Response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bom_not_found", foreignBody.GetProperty("code").GetString());
        Assert.Equal(unknownBody.GetProperty("detail").GetString(), foreignBody.GetProperty("detail").GetString());
        await Eventually.WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 0, "the valid BOM's subscription is released");
    }

    [Theory]
    [InlineData("")] // no bom_id
    [InlineData("bom_id=")]
    [InlineData("bom_id=ok-1&bom_id=bad*id")]
    [InlineData("bom_id=ok-1&bom_id=a%0D%0Aevent:%20x")]
    [InlineData("bom_id=b%C3%B6m")]
    [InlineData("too-many")]
    public async Task No_bom_an_invalid_bom_or_too_many_boms_is_400_invalid_bom_id(string query)
    {
        await using var server = await StartServerAsync(new Dictionary<string, string?> { ["Sse:MaxBomsPerStream"] = "3" });
        if (query == "too-many")
        {
            query = string.Join('&', Enumerable.Range(0, 4).Select(i => $"bom_id=b{i}&bom_id=b{i}")); // 4 distinct, 8 in all
        }

        await using var sse = await SseConnection.OpenAsync(server.Client, $"api/enrichment/stream?{query}&token={server.Token("acme")}");
        Assert.Equal(HttpStatusCode.BadRequest, sse.StatusCode);
        Assert.Equal("application/problem+json", sse.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("invalid_bom_id", (await sse.Response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Bad_oversized_foreign_repeated_or_truncated_cursors_are_400_invalid_cursor_in_the_header_and_the_query()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId()];
        var ids = new List<string>();
        foreach (var bom in boms)
        {
            ids.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started)).EventId);
        }

        var token = server.Token("acme");
        var valid = $"m1,{boms[0]}={ids[0]},{boms[1]}={ids[1]}";
        var random = new Random(17); // fixed seed: the same cursors every run
        var cursors = new List<string>
        {
            ids[0], // a single-BOM log id
            "m2", "m1,", "m1,,", "m1;x=1-0", "x" + valid,
            $"m1,{boms[0]}={ids[0]},{boms[0]}={ids[0]}", // repeated BOM
            $"m1,{NewBomId()}=1-0", // a BOM not in the request (another tenant's or unknown alike)
            $"m1,{boms[0]}=1-0,{NewBomId()}=1-0",
            $"m1,{boms[0]}={ids[0]}" + string.Concat(Enumerable.Repeat($",{boms[1]}={ids[1]}", CursorBound / 50)), // over the bound
            $"m1,{boms[0]}=" + new string('9', 30) + "-0",
        };
        for (var cut = 3; cut < valid.Length; cut += 7)
        {
            // Refused, unless the cut happens to leave whole entries (or a log id cut within its sequence digits).
            var truncated = valid[..cut];
            if (!truncated.EndsWith(ids[0], StringComparison.Ordinal) && !Regex.IsMatch(truncated, @"-\d+$"))
            {
                cursors.Add(truncated);
            }
        }

        for (var i = 0; i < 10; i++)
        {
            var chars = valid.ToCharArray(); // one character flipped somewhere after the prefix
            var at = random.Next(2, chars.Length);
            chars[at] = chars[at] is ',' or '=' ? 'x' : ',';
            cursors.Add(new string(chars));
        }

        foreach (var cursor in cursors)
        {
            await using var header = await server.OpenMultiStreamAsync(boms, token, cursor);
            Assert.True(header.StatusCode == HttpStatusCode.BadRequest, $"{header.StatusCode} for the header cursor {cursor}");
            Assert.Equal("invalid_cursor", (await header.Response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }

        await using var query = await SseConnection.OpenAsync(server.Client, $"{HubServer.MultiStreamPath(boms, token)}&last_event_id=m1,zz=1-0");
        Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        Assert.Equal(0, server.Bus.LocalSubscriptionCount);

        // The server is unharmed: the valid cursor opens the stream.
        await using var ok = await server.OpenMultiStreamAsync(boms, token, valid);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Token_expiry_ends_the_stream_with_stream_end_for_every_bom_not_yet_ended()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId(), NewBomId()];
        foreach (var bom in boms)
        {
            await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        }

        await server.PublishAsync(boms[1], "acme", EnrichmentEventNames.Completed, processed: 3);
        await using var sse = await server.OpenMultiStreamAsync(boms, server.Token("acme", lifetime: TimeSpan.FromSeconds(2)));

        var ends = (await sse.ReadToEndAsync())
            .Where(e => e.Event == EnrichmentEventNames.StreamEnd)
            .Select(e => JsonSerializer.Deserialize(e.Data, EnrichmentJsonContext.Default.StreamEndEvent)!)
            .Select(e => (e.BomId, e.Reason))
            .ToList();
        Assert.Equal([(boms[1], "completed"), (boms[0], "token_expired"), (boms[2], "token_expired")], ends);
    }

    [Fact]
    public async Task Client_disconnect_frees_every_boms_subscription()
    {
        await using var server = await StartServerAsync();
        string[] boms = [NewBomId(), NewBomId(), NewBomId()];
        foreach (var bom in boms)
        {
            await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        }

        await using (var sse = await server.OpenMultiStreamAsync(boms, server.Token("acme")))
        {
            for (var i = 0; i < 4; i++)
            {
                await sse.ReadEventAsync(); // connected and the three snapshots
            }

            Assert.Equal(3, server.Bus.LocalSubscriptionCount);
        }

        await Eventually.WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 0 && server.Bus.TopicCount == 0, "every subscription is freed");
    }

    private static EnrichmentEnvelope Envelope(SseEvent e) =>
        JsonSerializer.Deserialize(e.Data, EnrichmentJsonContext.Default.EnrichmentEnvelope)!;

    /// <summary>The cursor a client expects after each event: every BOM's last log id, in request order.</summary>
    private sealed class ExpectedCursor(IReadOnlyList<string> boms)
    {
        private readonly Dictionary<string, string> _last = [];

        public string After(SseEvent e)
        {
            var envelope = Envelope(e);
            _last[envelope.BomId] = envelope.EventId;
            return "m1" + string.Concat(boms.Where(_last.ContainsKey).Select(b => $",{b}={_last[b]}"));
        }
    }
}
