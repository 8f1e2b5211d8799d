using System.Net;
using System.Text;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// Two hub processes on one real redis-server: SSE and SignalR (JSON and MessagePack) clients on either node get
/// every event exactly once, in order, whichever node (or a legacy worker PUBLISHing straight to Redis) published it.
/// </summary>
[Collection("redis")]
public sealed class ScaleOutTests(RedisServerFixture redis) : IAsyncLifetime
{
    private HubProcess _node1 = null!;
    private HubProcess _node2 = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString };
        var starting = new[] { HubProcess.StartAsync(settings), HubProcess.StartAsync(settings) };
        var nodes = await Task.WhenAll(starting).WaitAsync(TimeSpan.FromSeconds(60));
        (_node1, _node2) = (nodes[0], nodes[1]);
    }

    public async Task DisposeAsync()
    {
        await _node1.DisposeAsync();
        await _node2.DisposeAsync();
    }

    private static string Progress(int processed) =>
        $$$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":4,"processed_items":{{{processed}}},"enriched_items":{{{processed}}},"percent_complete":{{{processed * 25}}}}}""";

    [Fact]
    public async Task Clients_on_both_nodes_receive_every_event_exactly_once_in_order()
    {
        var bom = $"bom-scale-{Guid.NewGuid():N}";
        var ids = new List<string> { await _node1.PublishJsonAsync(bom, """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":4}}""") };

        await using var onNode1 = await SseConnection.OpenAsync(_node1.Client, $"api/enrichment/stream/{bom}?token={_node1.Token("acme")}");
        await using var onNode2 = await SseConnection.OpenAsync(_node2.Client, $"api/enrichment/stream/{bom}?token={_node2.Token("acme")}");
        await onNode1.ReadUntilAsync(EnrichmentEventNames.Progress); // connected + snapshot of "started"
        await onNode2.ReadUntilAsync(EnrichmentEventNames.Progress);
        await using var hubOnNode1 = await HubClient.ConnectAsync(new Uri(_node1.BaseAddress, "hubs/enrichment"), _node1.Token("acme"));
        await using var hubOnNode2 = await HubClient.ConnectAsync(new Uri(_node2.BaseAddress, "hubs/enrichment"), _node2.Token("acme"), messagePack: true);
        foreach (var hub in new[] { hubOnNode1, hubOnNode2 })
        {
            await hub.SubscribeAsync(bom);
            Assert.Equal(EnrichmentEventNames.Progress, (await hub.NextAsync()).Event); // the snapshot
        }

        ids.Add(await _node1.PublishJsonAsync(bom, Progress(1)));
        ids.Add(await _node2.PublishJsonAsync(bom, Progress(2)));

        // A legacy worker PUBLISHes straight onto the channel: delivered live on both nodes (no log id).
        var subscriber = redis.Redis.GetSubscriber();
        await subscriber.PublishAsync(RedisChannel.Literal($"enrichment:bom:{bom}"),
            $$$"""{"event_id":"legacy-1","event_type":"enrichment.progress","bom_id":"{{{bom}}}","organization_id":"acme","state":{"total_items":4,"enriched_items":3,"failed_items":0,"percent_complete":75.0}}""").Bounded();
        ids.Add("legacy-1");

        ids.Add(await _node2.PublishJsonAsync(bom, """{"event_type":"enrichment.completed","tenant_id":"acme","state":{"total_items":4,"processed_items":4,"enriched_items":4,"percent_complete":100}}"""));

        foreach (var client in new[] { onNode1, onNode2 })
        {
            var events = await client.ReadToEndAsync();
            Assert.Equal(ids.Skip(1), events.Where(e => e.Id is not null).Select(e => e.Id));
            Assert.Equal(["progress", "progress", "progress", "enrichment.completed", "stream_end"], events.Select(e => e.Event));
        }

        foreach (var hub in new[] { hubOnNode1, hubOnNode2 })
        {
            var events = await hub.ReadUntilStreamEndAsync();
            Assert.Equal([.. ids.Skip(1), null], events.Select(e => e.Id));
        }
    }

    [Fact]
    public async Task A_client_resumes_on_the_other_node_from_its_last_id()
    {
        var bom = $"bom-resume-{Guid.NewGuid():N}";
        await _node1.PublishJsonAsync(bom, """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":4}}""");

        string last;
        await using (var first = await SseConnection.OpenAsync(_node1.Client, $"api/enrichment/stream/{bom}?token={_node1.Token("acme")}"))
        {
            await first.ReadEventAsync();
            last = (await first.ReadEventAsync())!.Id!;
        }

        var missed = new[] { await _node1.PublishJsonAsync(bom, Progress(1)), await _node1.PublishJsonAsync(bom, Progress(2)) };

        await using var resumed = await SseConnection.OpenAsync(_node2.Client, $"api/enrichment/stream/{bom}?token={_node2.Token("acme")}", lastEventId: last);
        Assert.Equal(EnrichmentEventNames.Connected, (await resumed.ReadEventAsync())!.Event);
        Assert.Equal(missed[0], (await resumed.ReadEventAsync())!.Id);
        Assert.Equal(missed[1], (await resumed.ReadEventAsync())!.Id);
    }
}
