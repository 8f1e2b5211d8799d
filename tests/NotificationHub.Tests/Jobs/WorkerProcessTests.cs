using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NotificationHub.Contracts;
using NotificationHub.Jobs;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Jobs;

/// <summary>
/// Scale-out jobs: a hub node that runs no jobs, and two <c>NotificationHub.Worker</c> processes sharing the Redis
/// queue; one is killed mid-job and the other finishes it.
/// </summary>
[Collection("redis")]
public sealed class WorkerProcessTests(RedisServerFixture redis)
{
    private const int ItemCount = 20;
    private const double ErrorRate = 0.25;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    private readonly string _prefix = $"test:{Guid.NewGuid():N}:";

    private Dictionary<string, string?> Shared() => new()
    {
        ["Redis:ConnectionString"] = redis.ConnectionString,
        ["Redis:KeyPrefix"] = _prefix + "bom:",
        ["Redis:ChannelPrefix"] = _prefix + "enrichment:bom:",
        ["JobQueue:KeyPrefix"] = "{" + _prefix + "jobs}:",
        ["Jobs:UsersMayCreateBoms"] = "true", // users start BOMs nobody published yet, as in Development
    };

    private Dictionary<string, string?> WorkerSettings() => new(Shared())
    {
        ["Worker:ItemLatency"] = "00:00:00.100",
        ["Worker:MinProgressInterval"] = "00:00:00",
        ["Worker:ErrorRate"] = ErrorRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Worker:Concurrency"] = "1",
        ["JobQueue:ClaimIdleTime"] = "00:00:01",
        ["JobQueue:PollInterval"] = "00:00:00.050",
        ["Logging:LogLevel:Default"] = "Information",
    };

    private static IEnumerable<string> Mpns(string bom) => Enumerable.Range(1, ItemCount).Select(i => $"{bom[^6..]}-{i:00}");

    private static async Task<string> StartJobAsync(HubServer hub, string bom, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/start");
        request.Headers.Authorization = new("Bearer", token);
        request.Content = new StringContent(
            JsonSerializer.Serialize(new { items = Mpns(bom).Select(mpn => new { mpn }) }), Encoding.UTF8, "application/json");
        using var response = await hub.Client.SendAsync(request).Bounded();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>().Bounded()).GetProperty("job_id").GetString()!;
    }

    private static JsonElement State(SseEvent e) => JsonDocument.Parse(e.Data).RootElement.GetProperty("state");

    [Fact]
    public async Task Two_workers_share_jobs_and_a_job_whose_worker_is_killed_finishes_on_the_other_with_exact_counts()
    {
        var hubSettings = Shared();
        hubSettings["Worker:Enabled"] = "false"; // this node only accepts jobs
        await using var hub = await HubServer.StartAsync(hubSettings);
        await using var workerA = await WorkerProcess.StartAsync(WorkerSettings());
        await using var workerB = await WorkerProcess.StartAsync(WorkerSettings());
        var token = hub.Token("acme");
        var (x, y) = ($"bom-x-{Guid.NewGuid():N}", $"bom-y-{Guid.NewGuid():N}");
        Assert.True(await hub.Bus.ClaimAsync(x, "acme").Bounded());
        Assert.True(await hub.Bus.ClaimAsync(y, "acme").Bounded());
        await using var streamX = await hub.OpenStreamAsync(x, token);
        await using var streamY = await hub.OpenStreamAsync(y, token);
        await streamX.ReadEventAsync();
        await streamY.ReadEventAsync(); // connected

        var jobX = await StartJobAsync(hub, x, token);
        var jobY = await StartJobAsync(hub, y, token);

        // Each worker runs one job at a time, so the two jobs run on the two workers.
        var eventsX = new List<SseEvent>();
        while (eventsX.Count(e => e.Event == EnrichmentEventNames.Progress) < 5)
        {
            eventsX.Add(await streamX.ReadEventAsync(RunTimeout) ?? throw new InvalidOperationException("X ended early"));
        }

        var (victim, survivor) = workerA.Logged(jobX, "running") ? (workerA, workerB) : (workerB, workerA);
        Assert.True(victim.Logged(jobX, "running"), "no worker logged job X");
        await survivor.WaitForLineAsync(jobY, RunTimeout);
        Assert.False(victim.Logged(jobY));

        await victim.KillAsync();

        eventsX.AddRange(await streamX.ReadToEndAsync(RunTimeout));
        var eventsY = await streamY.ReadToEndAsync(RunTimeout);
        Assert.True(survivor.Logged(jobX, "taken over"), "the survivor did not take job X over");

        AssertExactRun(x, jobX, eventsX);
        AssertExactRun(y, jobY, eventsY);
    }

    [Fact]
    public async Task A_worker_with_a_heartbeat_file_touches_it_while_it_runs()
    {
        var file = Path.Combine(Path.GetTempPath(), $"nh-heartbeat-{Guid.NewGuid():N}");
        var settings = WorkerSettings();
        settings["Worker:HeartbeatFile"] = file;
        try
        {
            await using var worker = await WorkerProcess.StartAsync(settings);
            var deadline = DateTime.UtcNow + TestTimeouts.Default;
            while (!File.Exists(file))
            {
                Assert.True(DateTime.UtcNow < deadline, "The worker wrote no heartbeat file.");
                await Task.Delay(50);
            }

            Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < TimeSpan.FromMinutes(1));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_gives_its_job_back_and_another_resumes_it_at_once()
    {
        var hubSettings = Shared();
        hubSettings["Worker:Enabled"] = "false";
        await using var hub = await HubServer.StartAsync(hubSettings);

        // A claim idle time far longer than the test: only a give-back lets the other worker resume the job.
        var settings = WorkerSettings();
        settings["JobQueue:ClaimIdleTime"] = "00:05:00";
        await using var first = await WorkerProcess.StartAsync(settings);
        var token = hub.Token("acme");
        var bom = $"bom-t-{Guid.NewGuid():N}";
        Assert.True(await hub.Bus.ClaimAsync(bom, "acme").Bounded());
        await using var stream = await hub.OpenStreamAsync(bom, token);
        await stream.ReadEventAsync(); // connected
        var job = await StartJobAsync(hub, bom, token);

        var events = new List<SseEvent>();
        while (events.Count(e => e.Event == EnrichmentEventNames.Progress) < 3)
        {
            events.Add(await stream.ReadEventAsync(RunTimeout) ?? throw new InvalidOperationException("ended early"));
        }

        await first.TerminateAsync();
        Assert.False(first.Logged(job, "ended"));
        await using var second = await WorkerProcess.StartAsync(settings);
        events.AddRange(await stream.ReadToEndAsync(RunTimeout));

        Assert.True(second.Logged(job, "taken over"), "the second worker did not resume the job");
        AssertExactRun(bom, job, events);
    }

    private static void AssertExactRun(string bom, string jobId, List<SseEvent> events)
    {
        Assert.Equal(EnrichmentEventNames.Started, events[0].Event);
        Assert.Equal([EnrichmentEventNames.Completed, "stream_end"], events.TakeLast(2).Select(e => e.Event));
        var progress = events.Where(e => e.Event == EnrichmentEventNames.Progress).Select(State).ToList();

        // No item counted twice or published twice: processed strictly increases and each MPN appears at most once.
        var processed = progress.Select(s => s.GetProperty("processed_items").GetInt32()).ToList();
        Assert.Equal(processed.Order(), processed);
        Assert.Equal(processed.Count, processed.Distinct().Count());
        var current = progress.Select(s => s.GetProperty("current_item").GetProperty("mpn").GetString()).ToList();
        Assert.Equal(current.Count, current.Distinct().Count());
        Assert.All(progress, s => Assert.Equal(s.GetProperty("processed_items").GetInt32(),
            s.GetProperty("enriched_items").GetInt32() + s.GetProperty("error_items").GetInt32()));

        // The final counts are exactly those of the deterministic simulator over every item.
        var final = State(events[^2]);
        var expectedErrors = Mpns(bom).Count(mpn => SimulatedPartEnricher.Fails(mpn, ErrorRate));
        Assert.Equal(ItemCount, final.GetProperty("processed_items").GetInt32());
        Assert.Equal(expectedErrors, final.GetProperty("error_items").GetInt32());
        Assert.Equal(ItemCount - expectedErrors, final.GetProperty("enriched_items").GetInt32());
        Assert.Equal(100, final.GetProperty("percent_complete").GetDouble());
        Assert.Equal(jobId, JsonDocument.Parse(events[^2].Data).RootElement.GetProperty("payload").GetProperty("job_id").GetString());
    }
}
