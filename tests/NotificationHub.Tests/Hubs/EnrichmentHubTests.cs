using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

public sealed class EnrichmentHubTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<List<string>> PublishScenarioAsync(HubServer server, string bomId, string tenant) =>
    [
        (await server.PublishAsync(bomId, tenant, EnrichmentEventNames.Started)).EventId,
        (await server.PublishAsync(bomId, tenant, EnrichmentEventNames.Progress, 1)).EventId,
        (await server.PublishAsync(bomId, tenant, EnrichmentEventNames.Progress, 2)).EventId,
        (await server.PublishAsync(bomId, tenant, EnrichmentEventNames.Progress, 3)).EventId,
        (await server.PublishAsync(bomId, tenant, EnrichmentEventNames.Completed, 3)).EventId,
    ];

    [Fact]
    public async Task Sse_SignalRJson_and_SignalRMessagePack_see_the_same_sequence()
    {
        await using var server = await HubServer.StartAsync();
        const string bom = "bom-conformance", tenant = "tenant-a";
        await server.ClaimAsync(bom, tenant);
        var token = server.Token(tenant);

        await using var json = await HubClient.ConnectAsync(server, token);
        await using var msgpack = await HubClient.ConnectAsync(server, token, messagePack: true);
        await using var sse = await server.OpenStreamAsync(bom, token);
        var jsonSubscription = await json.SubscribeAsync(bom);
        var msgpackSubscription = await msgpack.SubscribeAsync(bom);
        Assert.Equal("connected", jsonSubscription.GetProperty("type").GetString());
        Assert.Equal(bom, jsonSubscription.GetProperty("bom_id").GetString());
        Assert.True(jsonSubscription.GetProperty("recovered").GetBoolean());
        Assert.Equal(jsonSubscription.GetRawText(), msgpackSubscription.GetRawText());

        var ids = await PublishScenarioAsync(server, bom, tenant);

        var sseEvents = (await sse.ReadUntilAsync("stream_end", Timeout))
            .Where(e => e.Event is not ("connected" or "keepalive")).Select(WireEvent.FromSse).ToList();
        var jsonEvents = await json.ReadUntilStreamEndAsync().WaitAsync(Timeout);
        var msgpackEvents = await msgpack.ReadUntilStreamEndAsync().WaitAsync(Timeout);

        Assert.Equal(6, sseEvents.Count);
        Assert.Equal([.. ids, null], sseEvents.Select(e => e.Id));
        Assert.Equal(
            ["enrichment.started", "progress", "progress", "progress", "enrichment.completed", "stream_end"],
            sseEvents.Select(e => e.Event));
        Assert.Equal("completed", sseEvents[^1].Data["reason"]!.GetValue<string>());
        AssertSameSequence(sseEvents, jsonEvents);
        AssertSameSequence(sseEvents, msgpackEvents);

        // The contract's names and value types survive MessagePack: snake_case keys, timestamps as ISO strings.
        var progress = msgpackEvents[1].Data;
        Assert.Equal(bom, progress["bom_id"]!.GetValue<string>());
        var createdAt = progress["created_at"]!.GetValue<string>();
        Assert.True(DateTimeOffset.TryParse(createdAt, System.Globalization.CultureInfo.InvariantCulture, out _), createdAt);
        Assert.Equal(1, progress["state"]!["processed_items"]!.GetValue<long>());
        Assert.Equal(JsonValueKind.String, progress["created_at"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, progress["state"]!["updated_at"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Object, progress["payload"]!["nested"]!.GetValueKind());
    }

    private static void AssertSameSequence(List<WireEvent> expected, List<WireEvent> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].SameAs(actual[i]), $"#{i}: expected {expected[i]}\nactual {actual[i]}");
        }
    }

    [Fact]
    public async Task One_connection_watches_many_boms_and_nothing_of_the_others()
    {
        await using var server = await HubServer.StartAsync();
        const string tenant = "tenant-a";
        foreach (var bom in new[] { "bom-a", "bom-b", "bom-left", "bom-never" })
        {
            await server.ClaimAsync(bom, tenant);
        }

        await using var client = await HubClient.ConnectAsync(server, server.Token(tenant));
        await client.SubscribeAsync("bom-a");
        await client.SubscribeAsync("bom-b");
        await client.SubscribeAsync("bom-left");
        Assert.True(await client.UnsubscribeAsync("bom-left"));
        Assert.False(await client.UnsubscribeAsync("bom-left"));

        // Events of BOMs not watched, then one of a watched BOM: the watched one must be the first to arrive.
        await server.PublishAsync("bom-left", tenant, EnrichmentEventNames.Started);
        await server.PublishAsync("bom-never", tenant, EnrichmentEventNames.Started);
        var marker = (await server.PublishAsync("bom-a", tenant, EnrichmentEventNames.Started)).EventId;
        var first = await client.NextAsync();
        Assert.Equal(("bom-a", marker), (first.BomId, first.Id));

        var expectedA = new List<string> { marker };
        var expectedB = new List<string>();
        expectedB.Add((await server.PublishAsync("bom-b", tenant, EnrichmentEventNames.Started)).EventId);
        for (var step = 1; step <= 3; step++)
        {
            expectedA.Add((await server.PublishAsync("bom-a", tenant, EnrichmentEventNames.Progress, step)).EventId);
            expectedB.Add((await server.PublishAsync("bom-b", tenant, EnrichmentEventNames.Progress, step)).EventId);
            await server.PublishAsync("bom-left", tenant, EnrichmentEventNames.Progress, step);
        }

        expectedB.Add((await server.PublishAsync("bom-b", tenant, EnrichmentEventNames.Failed, 3)).EventId);
        expectedA.Add((await server.PublishAsync("bom-a", tenant, EnrichmentEventNames.Completed, 3)).EventId);

        var received = new List<WireEvent> { first };
        var ends = 0;
        while (ends < 2)
        {
            var next = await client.NextAsync();
            received.Add(next);
            ends += next.Event == "stream_end" ? 1 : 0;
        }

        Assert.All(received, e => Assert.Contains(e.BomId, new[] { "bom-a", "bom-b" }));
        Assert.Equal([.. expectedA, null], received.Where(e => e.BomId == "bom-a").Select(e => e.Id));
        Assert.Equal([.. expectedB, null], received.Where(e => e.BomId == "bom-b").Select(e => e.Id));
        Assert.Equal("failed", received.Last(e => e.BomId == "bom-b").Data["reason"]!.GetValue<string>());
        Assert.Equal("completed", received.Last(e => e.BomId == "bom-a").Data["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_and_other_tenants_boms_fail_alike_and_bad_ids_are_refused()
    {
        await using var server = await HubServer.StartAsync();
        await server.ClaimAsync("bom-of-b", "tenant-b");
        await using var client = await HubClient.ConnectAsync(server, server.Token("tenant-a"));

        var otherTenant = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("bom-of-b"));
        var unknown = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("bom-unknown"));
        Assert.Contains("BOM not found", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(unknown.Message, otherTenant.Message);

        var bad = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("bad id*"));
        Assert.Contains("Invalid BOM id", bad.Message, StringComparison.Ordinal);
        Assert.Contains(BomIds.Rule, bad.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(new string('x', BomIds.MaxLength + 1)));
        await Assert.ThrowsAsync<HubException>(() => client.UnsubscribeAsync("a/b"));
    }

    [Fact]
    public async Task The_per_connection_cap_is_enforced()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Hub:MaxBomsPerConnection"] = "2" });
        foreach (var bom in new[] { "bom-1", "bom-2", "bom-3" })
        {
            await server.ClaimAsync(bom, "t");
        }

        await using var client = await HubClient.ConnectAsync(server, server.Token("t"));
        await client.SubscribeAsync("bom-1");
        await client.SubscribeAsync("bom-2");
        await client.SubscribeAsync("bom-2"); // re-subscribing a watched BOM does not count twice
        var full = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("bom-3"));
        Assert.Contains("at most 2", full.Message, StringComparison.Ordinal);

        await client.UnsubscribeAsync("bom-1");
        await client.SubscribeAsync("bom-3");
    }

    [Fact]
    public async Task The_connection_closes_when_the_token_expires()
    {
        await using var server = await HubServer.StartAsync();
        await using var client = await HubClient.ConnectAsync(server, server.Token("t", TimeSpan.FromSeconds(2)));
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connection.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };

        await closed.Task.WaitAsync(Timeout);
        Assert.Equal(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Disconnected, client.Connection.State);
    }

    [Fact]
    public async Task Resuming_from_an_id_gives_exactly_the_events_after_it()
    {
        await using var server = await HubServer.StartAsync();
        const string bom = "bom-resume", tenant = "t";
        var ids = new List<string>
        {
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Started)).EventId,
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 1)).EventId,
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 2)).EventId,
        };

        await using var client = await HubClient.ConnectAsync(server, server.Token(tenant), messagePack: true);
        var subscription = await client.SubscribeAsync(bom, ids[0]);
        Assert.True(subscription.GetProperty("recovered").GetBoolean());
        Assert.False(subscription.GetProperty("ended").GetBoolean());
        ids.Add((await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 3)).EventId);
        ids.Add((await server.PublishAsync(bom, tenant, EnrichmentEventNames.Completed, 3)).EventId);

        var events = await client.ReadUntilStreamEndAsync();
        Assert.Equal([.. ids.Skip(1), null], events.Select(e => e.Id));

        // Resuming from the terminal event: nothing follows.
        var ended = await client.SubscribeAsync(bom, ids[^1]);
        Assert.True(ended.GetProperty("ended").GetBoolean());

        // The same id with leading zeros names the same event (ids compare as numbers), and ends the same way.
        var zeros = await client.SubscribeAsync(bom, "000" + ids[^1]);
        Assert.True(zeros.GetProperty("ended").GetBoolean());

        // An id the log never held: the snapshot (the terminal event) and recovered = false.
        var lost = await client.SubscribeAsync(bom, "1-999999");
        Assert.False(lost.GetProperty("recovered").GetBoolean());
        var snapshot = await client.ReadUntilStreamEndAsync();
        Assert.Equal([ids[^1], null], snapshot.Select(e => e.Id));
    }

    [Theory]
    [InlineData(HttpTransportType.WebSockets, false)]
    [InlineData(HttpTransportType.WebSockets, true)]
    [InlineData(HttpTransportType.ServerSentEvents, false)]
    [InlineData(HttpTransportType.LongPolling, false)]
    [InlineData(HttpTransportType.LongPolling, true)]
    public async Task Every_transport_delivers_the_events(HttpTransportType transport, bool messagePack)
    {
        await using var server = await HubServer.StartAsync();
        const string bom = "bom-transport", tenant = "t";
        await server.ClaimAsync(bom, tenant);
        await using var client = await HubClient.ConnectAsync(server, server.Token(tenant), messagePack, transport);
        await client.SubscribeAsync(bom);

        var ids = await PublishScenarioAsync(server, bom, tenant);
        var events = await client.ReadUntilStreamEndAsync();
        Assert.Equal([.. ids, null], events.Select(e => e.Id));
    }
}
