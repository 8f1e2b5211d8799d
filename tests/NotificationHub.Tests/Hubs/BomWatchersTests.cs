using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Client;
using NotificationHub.Contracts;
using NotificationHub.Server.Hubs;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// BOM groups on one node with the in-memory default (no Redis): <see cref="BomWatchers"/> sends a
/// <see cref="BomNotice"/> to the connections watching a BOM, and to no other.
/// </summary>
public sealed class BomWatchersTests
{
    private const string Tenant = "t";

    [Fact]
    public async Task A_notice_reaches_every_watcher_of_its_bom_in_json_and_messagepack_and_no_watcher_of_another_bom()
    {
        await using var server = await HubServer.StartAsync();
        var bom = $"bom-notice-{Guid.NewGuid():N}";
        var other = $"bom-other-{Guid.NewGuid():N}";
        await server.ClaimAsync(bom, Tenant);
        await server.ClaimAsync(other, Tenant);
        await using var json = await HubClient.ConnectAsync(server, server.Token(Tenant));
        await using var messagePack = await HubClient.ConnectAsync(server, server.Token(Tenant), messagePack: true);
        await using var otherWatcher = await HubClient.ConnectAsync(server, server.Token(Tenant));
        await json.SubscribeAsync(bom);
        await messagePack.SubscribeAsync(bom);
        await otherWatcher.SubscribeAsync(other);
        var watchers = server.Services.GetRequiredService<BomWatchers>();

        await watchers.SendAsync(new BomNotice { BomId = bom, Kind = "export_ready", Message = "The export is ready." });

        var expected = $$"""{"bom_id":"{{bom}}","kind":"export_ready","message":"The export is ready."}""";
        Assert.Equal(expected, (await json.NextNoticeAsync()).GetRawText());
        Assert.Equal(expected, (await messagePack.NextNoticeAsync()).GetRawText()); // a plain map with the same keys

        // A notice to the other BOM is the first its watcher gets: the first one did not reach it.
        await watchers.SendAsync(new BomNotice { BomId = other, Kind = "marker" });
        Assert.Equal(other, (await otherWatcher.NextNoticeAsync()).GetProperty("bom_id").GetString());
        Assert.False(json.TryReadNotice(out _));
    }

    [Fact]
    public async Task A_connection_leaves_the_group_when_it_unsubscribes_and_when_the_bom_stream_ends()
    {
        await using var server = await HubServer.StartAsync();
        var unsubscribed = $"bom-unsubscribed-{Guid.NewGuid():N}";
        var ended = $"bom-ended-{Guid.NewGuid():N}";
        var marker = $"bom-marker-{Guid.NewGuid():N}";
        foreach (var bom in new[] { unsubscribed, ended, marker })
        {
            await server.ClaimAsync(bom, Tenant);
        }

        await using var client = await HubClient.ConnectAsync(server, server.Token(Tenant));
        foreach (var bom in new[] { unsubscribed, ended, marker })
        {
            await client.SubscribeAsync(bom);
        }

        Assert.True(await client.UnsubscribeAsync(unsubscribed));
        await server.PublishAsync(ended, Tenant, EnrichmentEventNames.Started);
        await server.PublishAsync(ended, Tenant, EnrichmentEventNames.Completed, 3);
        Assert.Equal("stream_end", (await client.ReadUntilStreamEndAsync())[^1].Event);

        // The group is left right after stream_end is written, not before: retry the round until only the marker comes.
        var watchers = server.Services.GetRequiredService<BomWatchers>();
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (true)
        {
            await watchers.SendAsync(new BomNotice { BomId = unsubscribed, Kind = "after" });
            await watchers.SendAsync(new BomNotice { BomId = ended, Kind = "after" });
            await watchers.SendAsync(new BomNotice { BomId = marker, Kind = "marker" });
            var first = await client.NextNoticeAsync();
            var firstBom = first.GetProperty("bom_id").GetString();
            Assert.NotEqual(unsubscribed, firstBom); // left at once: UnsubscribeBom has returned
            if (firstBom == marker)
            {
                break;
            }

            Assert.Equal(ended, firstBom);
            Assert.Equal(marker, (await client.NextNoticeAsync()).GetProperty("bom_id").GetString());
            Assert.True(DateTime.UtcNow < deadline, "The connection stayed in the group of its ended BOM.");
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData(EnrichmentHubProtocol.Json)]
    [InlineData(EnrichmentHubProtocol.MessagePack)]
    public async Task The_dotnet_client_raises_NoticeReceived_for_a_watched_bom(EnrichmentHubProtocol protocol)
    {
        await using var server = await HubServer.StartAsync();
        var bom = $"bom-client-notice-{Guid.NewGuid():N}";
        await server.ClaimAsync(bom, Tenant);
        await using var client = new EnrichmentClient(new EnrichmentClientOptions
        {
            BaseAddress = server.BaseAddress,
            TokenProvider = _ => ValueTask.FromResult(server.Token(Tenant)),
            Protocol = protocol,
        });
        var received = new TaskCompletionSource<BomNotice>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.NoticeReceived += notice =>
        {
            received.TrySetResult(notice);
            return Task.CompletedTask;
        };
        await using var events = client.WatchAsync(bom).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TestTimeouts.Default)); // connected: subscribed

        var sent = new BomNotice { BomId = bom, Kind = "export_ready", Message = "The export is ready." };
        await server.Services.GetRequiredService<BomWatchers>().SendAsync(sent);

        Assert.Equal(sent, await received.Task.WaitAsync(TestTimeouts.Default));
    }

    [Fact]
    public async Task A_notice_with_an_invalid_bom_id_or_no_kind_is_refused()
    {
        await using var server = await HubServer.StartAsync();
        var watchers = server.Services.GetRequiredService<BomWatchers>();

        await Assert.ThrowsAsync<ArgumentException>(() => watchers.SendAsync(new BomNotice { BomId = "no spaces", Kind = "k" }));
        await Assert.ThrowsAsync<ArgumentException>(() => watchers.SendAsync(new BomNotice { BomId = "bom-1", Kind = " " }));
    }
}
