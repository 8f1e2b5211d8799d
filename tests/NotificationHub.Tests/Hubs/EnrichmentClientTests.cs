using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Client;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

public sealed class EnrichmentClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private sealed class ImmediateRetry : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.PreviousRetryCount < 50 ? TimeSpan.FromMilliseconds(50) : null;
    }

    private static EnrichmentClient CreateClient(HubServer server, string tenant, EnrichmentTransport transport,
        EnrichmentHubProtocol protocol = EnrichmentHubProtocol.Json, bool stateful = true) =>
        new(new EnrichmentClientOptions
        {
            BaseAddress = server.BaseAddress,
            TokenProvider = _ => ValueTask.FromResult(server.Token(tenant)),
            Transport = transport,
            Protocol = protocol,
            ReconnectPolicy = new ImmediateRetry(),
            SseRetryDelay = TimeSpan.FromMilliseconds(50),
            StatefulReconnect = stateful,
        });

    /// <summary>Reads until <paramref name="count"/> messages arrived (or the watch ended).</summary>
    private static async Task<List<EnrichmentEventMessage>> TakeAsync(IAsyncEnumerator<EnrichmentEventMessage> events, int count)
    {
        var list = new List<EnrichmentEventMessage>();
        while (list.Count < count && await events.MoveNextAsync().AsTask().WaitAsync(Timeout))
        {
            list.Add(events.Current);
        }

        return list;
    }

    private static async Task<List<EnrichmentEventMessage>> ReadToEndAsync(IAsyncEnumerator<EnrichmentEventMessage> events)
    {
        var list = new List<EnrichmentEventMessage>();
        while (await events.MoveNextAsync().AsTask().WaitAsync(Timeout))
        {
            list.Add(events.Current);
        }

        return list;
    }

    [Theory]
    [InlineData(EnrichmentTransport.SignalR, EnrichmentHubProtocol.Json)]
    [InlineData(EnrichmentTransport.SignalR, EnrichmentHubProtocol.MessagePack)]
    [InlineData(EnrichmentTransport.Sse, EnrichmentHubProtocol.Json)]
    public async Task Watching_a_bom_gives_connected_the_events_and_stream_end(EnrichmentTransport transport, EnrichmentHubProtocol protocol)
    {
        await using var server = await HubServer.StartAsync();
        const string bom = "bom-client", tenant = "t";
        await server.ClaimAsync(bom, tenant);
        await using var client = CreateClient(server, tenant, transport, protocol);
        await using var events = client.WatchAsync(bom).GetAsyncEnumerator();

        var connected = Assert.Single(await TakeAsync(events, 1));
        Assert.Equal(EnrichmentEventNames.Connected, connected.Event);
        Assert.Equal(bom, connected.AsConnected()!.BomId);

        var ids = new List<string?>
        {
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Started)).EventId,
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 1)).EventId,
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 2)).EventId,
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Completed, 3)).EventId,
        };
        var rest = await ReadToEndAsync(events);

        Assert.Equal([.. ids, null], rest.Select(e => e.Id));
        var progress = rest[1].GetEnvelope();
        Assert.Equal((bom, tenant, 1), (progress.BomId, progress.TenantId, progress.State!.ProcessedItems));
        Assert.Equal(StreamEndReasons.Completed, rest[^1].AsStreamEnd()!.Reason);
    }

    [Fact]
    public async Task One_client_watches_several_boms()
    {
        await using var server = await HubServer.StartAsync();
        const string tenant = "t";
        await server.ClaimAsync("bom-x", tenant);
        await server.ClaimAsync("bom-y", tenant);
        await using var client = CreateClient(server, tenant, EnrichmentTransport.SignalR, EnrichmentHubProtocol.MessagePack);
        await using var x = client.WatchAsync("bom-x").GetAsyncEnumerator();
        await using var y = client.WatchAsync("bom-y").GetAsyncEnumerator();
        await TakeAsync(x, 1);
        await TakeAsync(y, 1);

        var xIds = new List<string?>();
        var yIds = new List<string?>();
        xIds.Add((await server.PublishAsync("bom-x", tenant, EnrichmentEventNames.Started)).EventId);
        yIds.Add((await server.PublishAsync("bom-y", tenant, EnrichmentEventNames.Started)).EventId);
        xIds.Add((await server.PublishAsync("bom-x", tenant, EnrichmentEventNames.Completed, 3)).EventId);
        yIds.Add((await server.PublishAsync("bom-y", tenant, EnrichmentEventNames.Failed, 1)).EventId);

        Assert.Equal([.. xIds, null], (await ReadToEndAsync(x)).Select(e => e.Id));
        var yEvents = await ReadToEndAsync(y);
        Assert.Equal([.. yIds, null], yEvents.Select(e => e.Id));
        Assert.All(yEvents, e => Assert.Equal("bom-y", e.BomId));
    }

    [Fact]
    public async Task Refusals_surface_as_EnrichmentClientException()
    {
        await using var server = await HubServer.StartAsync();
        await server.ClaimAsync("bom-other", "other");
        await using var client = CreateClient(server, "t", EnrichmentTransport.SignalR);
        var error = await Assert.ThrowsAsync<EnrichmentClientException>(async () =>
        {
            await foreach (var unused in client.WatchAsync("bom-other").WithCancellation(CancellationToken.None))
            {
            }
        }).WaitAsync(Timeout);
        Assert.Contains("BOM not found", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_the_connection_drops_the_watch_goes_on_without_gap_or_duplicate(bool stateful)
    {
        var tracker = new ConnectionTracker();
        await using var server = await HubServer.StartAsync(configure: builder =>
            builder.Services.Configure<HubOptions>(options => options.AddFilter(tracker)));
        const string bom = "bom-reconnect", tenant = "t";
        await server.ClaimAsync(bom, tenant);
        await using var client = CreateClient(server, tenant, EnrichmentTransport.SignalR, stateful: stateful);
        var resubscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Resubscribed += () =>
        {
            resubscribed.TrySetResult();
            return Task.CompletedTask;
        };
        await using var events = client.WatchAsync(bom).GetAsyncEnumerator();
        await TakeAsync(events, 1);

        var ids = new List<string?>
        {
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Started)).EventId,
            (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 1)).EventId,
        };
        var before = await TakeAsync(events, 2);
        Assert.Equal(ids, before.Select(e => e.Id));

        var firstConnection = client.ConnectionId!;
        tracker.Drop(firstConnection); // the TCP connection dies, as on a network failure
        // Published while the client is away or reconnecting.
        ids.Add((await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 2)).EventId);
        if (!stateful)
        {
            // A new connection: the client resubscribed from its last id; the event above comes from the replay log.
            await resubscribed.Task.WaitAsync(Timeout);
            Assert.NotEqual(firstConnection, client.ConnectionId);
        }

        ids.Add((await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 3)).EventId);
        ids.Add((await server.PublishAsync(bom, tenant, EnrichmentEventNames.Completed, 3)).EventId);

        var after = await ReadToEndAsync(events);
        var reconnects = after.Where(e => e.Event == EnrichmentEventNames.Connected).ToList();
        Assert.All(reconnects, c => Assert.True(c.AsConnected()!.Recovered));
        Assert.Equal(stateful ? 0 : 1, reconnects.Count);
        Assert.Equal([.. ids.Skip(2), null], after.Where(e => e.Event != EnrichmentEventNames.Connected).Select(e => e.Id));
    }
}
