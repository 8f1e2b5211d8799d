using System.Net;
using System.Text.Json;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// The multi-BOM SSE stream across two hub processes on one real redis-server: a client of a node that is killed
/// resumes on the other node with its last cursor, as EventSource does with <c>Last-Event-ID</c>, and ends with
/// every event of every BOM, once, in order.
/// </summary>
[Collection("redis")]
public sealed class MultiBomResumeAcrossHubsTests(RedisServerFixture redis)
{
    private static string Event(string type, int step) =>
        $$$"""{"event_type":"{{{type}}}","tenant_id":"acme","state":{"total_items":10,"processed_items":{{{step}}},"enriched_items":{{{step}}}}}""";

    [Fact]
    public async Task A_killed_nodes_multi_bom_client_resumes_on_the_other_node_with_its_cursor_and_misses_nothing_on_any_bom()
    {
        var settings = new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString };
        var nodes = await Task.WhenAll(HubProcess.StartAsync(settings), HubProcess.StartAsync(settings)).WaitAsync(TimeSpan.FromSeconds(60));
        await using var killed = nodes[0];
        await using var survivor = nodes[1];

        string[] boms = [$"bom-mx-{Guid.NewGuid():N}", $"bom-my-{Guid.NewGuid():N}", $"bom-mz-{Guid.NewGuid():N}"];
        var published = boms.ToDictionary(b => b, _ => new List<string>());
        foreach (var bom in boms)
        {
            published[bom].Add(await survivor.PublishJsonAsync(bom, Event("enrichment.started", 0)));
        }

        var token = survivor.Token("acme");
        var path = HubServer.MultiStreamPath(boms, token);
        var received = boms.ToDictionary(b => b, _ => new List<string>());
        string cursor;
        await using (var first = await SseConnection.OpenAsync(killed.Client, path))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            await first.ReadEventAsync(); // connected
            for (var step = 1; step <= 2; step++)
            {
                foreach (var bom in boms)
                {
                    published[bom].Add(await survivor.PublishJsonAsync(bom, Event("progress", step))); // through the other node
                }
            }

            cursor = await ReadAsync(first, received, count: 9); // three snapshots, six live events
            killed.Kill(); // no goodbye: the client notices a dead connection
        }

        // Missed while reconnecting, one BOM finishing among them.
        published[boms[0]].Add(await survivor.PublishJsonAsync(boms[0], Event("progress", 3)));
        published[boms[0]].Add(await survivor.PublishJsonAsync(boms[0], Event("enrichment.completed", 10)));
        published[boms[2]].Add(await survivor.PublishJsonAsync(boms[2], Event("progress", 3)));

        await using var resumed = await SseConnection.OpenAsync(survivor.Client, path, lastEventId: cursor);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var connected = JsonSerializer.Deserialize((await resumed.ReadEventAsync())!.Data, EnrichmentJsonContext.Default.MultiBomConnectedEvent)!;
        Assert.All(connected.Boms, b => Assert.True(b.Recovered));
        published[boms[1]].Add(await survivor.PublishJsonAsync(boms[1], Event("enrichment.failed", 2)));
        published[boms[2]].Add(await survivor.PublishJsonAsync(boms[2], Event("enrichment.completed", 10)));

        var rest = await resumed.ReadToEndAsync(TimeSpan.FromSeconds(20));
        foreach (var e in rest.Where(e => e.Event != EnrichmentEventNames.StreamEnd))
        {
            var envelope = JsonSerializer.Deserialize(e.Data, EnrichmentJsonContext.Default.EnrichmentEnvelope)!;
            received[envelope.BomId].Add(envelope.EventId);
        }

        foreach (var bom in boms)
        {
            Assert.Equal(published[bom], received[bom]);
        }

        var ends = rest.Where(e => e.Event == EnrichmentEventNames.StreamEnd)
            .Select(e => JsonSerializer.Deserialize(e.Data, EnrichmentJsonContext.Default.StreamEndEvent)!.BomId);
        Assert.Equal(boms.Order(), ends.Order());
    }

    // Reads count bus events into received; returns the last event's id (the cursor).
    private static async Task<string> ReadAsync(SseConnection sse, Dictionary<string, List<string>> received, int count)
    {
        string? id = null;
        for (var i = 0; i < count; i++)
        {
            var e = (await sse.ReadEventAsync())!;
            var envelope = JsonSerializer.Deserialize(e.Data, EnrichmentJsonContext.Default.EnrichmentEnvelope)!;
            received[envelope.BomId].Add(envelope.EventId);
            id = e.Id;
        }

        return id!;
    }
}
