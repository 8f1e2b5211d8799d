using System.Diagnostics;
using System.Net;
using System.Text;
using NotificationHub.Tests.Infrastructure;
using static NotificationHub.Tests.Infrastructure.Eventually;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// Three hub processes on one real redis-server. Mid-stream one gets SIGTERM (it drains: SSE clients get
/// <c>stream_end</c> <c>server_shutdown</c>, SignalR connections are closed, the process exits within its drain time)
/// and another is killed with SIGKILL; their SSE and SignalR clients resume on the survivor from their last id and
/// end with every event, once, in order.
/// </summary>
[Collection("redis")]
public sealed class NodeFaultTests(RedisServerFixture redis)
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private static string Progress(int step) =>
        $$$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":30,"processed_items":{{{step}}},"enriched_items":{{{step}}},"percent_complete":{{{step * 100 / 30}}}}}""";

    [Fact]
    public async Task Clients_of_a_terminated_and_a_killed_node_resume_on_the_survivor_with_every_event()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Shutdown:DrainTimeout"] = DrainTimeout.ToString(),
        };
        var nodes = await Task.WhenAll(HubProcess.StartAsync(settings), HubProcess.StartAsync(settings), HubProcess.StartAsync(settings))
            .WaitAsync(TimeSpan.FromSeconds(60));
        var (terminated, killed, survivor) = (nodes[0], nodes[1], nodes[2]);
        try
        {
            var bom = $"bom-nodes-{Guid.NewGuid():N}";
            var ids = new List<string> { await survivor.PublishJsonAsync(bom, """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":30}}""") };
            var token = survivor.Token("acme");
            var sseOnTerminated = new FailoverSseWatcher([terminated, survivor], bom, token);
            var hubOnTerminated = new FailoverHubWatcher([terminated, survivor], bom, token);
            var sseOnKilled = new FailoverSseWatcher([killed, survivor], bom, token);
            var hubOnKilled = new FailoverHubWatcher([killed, survivor], bom, token);
            var watching = Task.WhenAll(Task.Run(sseOnTerminated.RunAsync), Task.Run(hubOnTerminated.RunAsync),
                Task.Run(sseOnKilled.RunAsync), Task.Run(hubOnKilled.RunAsync));
            string?[] LastIds() => [sseOnTerminated.LastId, hubOnTerminated.LastId, sseOnKilled.LastId, hubOnKilled.LastId];

            var step = 0;
            async Task PublishStepsAsync(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    ids.Add(await survivor.PublishJsonAsync(bom, Progress(++step)));
                }
            }

            await WaitUntilAsync(() => LastIds().All(id => id == ids[0]), "every client has the snapshot");
            await PublishStepsAsync(5);
            await WaitUntilAsync(() => LastIds().All(id => id == ids[^1]), "every client is live");

            // SIGTERM while events keep coming: the node drains and exits within its drain time.
            var stopwatch = Stopwatch.StartNew();
            terminated.Terminate();
            await PublishStepsAsync(5);
            var exitCode = await terminated.WaitForExitAsync(DrainTimeout + TimeSpan.FromSeconds(5));
            var drained = stopwatch.Elapsed;
            await PublishStepsAsync(5);
            await WaitUntilAsync(() => LastIds().All(id => id == ids[^1]), "every client is live after the SIGTERM");

            // SIGKILL: no goodbye at all.
            killed.Kill();
            await PublishStepsAsync(5);
            ids.Add(await survivor.PublishJsonAsync(bom, """{"event_type":"enrichment.completed","tenant_id":"acme","state":{"total_items":30,"processed_items":30,"enriched_items":30,"percent_complete":100}}"""));
            await watching.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(0, exitCode);
            Assert.True(drained < DrainTimeout + TimeSpan.FromSeconds(2), $"The terminated node took {drained} to exit.");
            Assert.True(sseOnTerminated.EndReasons is ["server_shutdown", "completed"],
                $"stream_end reasons on the terminated node's SSE client: {string.Join(", ", sseOnTerminated.EndReasons)} ({sseOnTerminated.Connections} connections)");
            Assert.Equal(["completed"], sseOnKilled.EndReasons);
            Assert.Equal(ids, sseOnTerminated.Ids);
            Assert.Equal(ids, hubOnTerminated.Ids);
            Assert.Equal(ids, sseOnKilled.Ids);
            Assert.Equal(ids, hubOnKilled.Ids);
            Assert.All(new[] { sseOnTerminated.Connections, hubOnTerminated.Connections, sseOnKilled.Connections, hubOnKilled.Connections },
                connections => Assert.Equal(2, connections));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }
}
