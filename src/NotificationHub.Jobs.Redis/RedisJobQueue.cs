using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotificationHub.Bus.Redis;
using StackExchange.Redis;

namespace NotificationHub.Jobs.Redis;

/// <summary>
/// The shared job queue: a Redis Stream read by a consumer group, so several worker processes share the jobs, and
/// a job whose worker dies is taken over by another from its checkpoint.
/// </summary>
/// <remarks>
/// <para>A worker reads new entries with <c>XREADGROUP</c>; while it runs a job it refreshes its pending entry every
/// third of <see cref="RedisJobQueueOptions.ClaimIdleTime"/>. A worker that dies stops refreshing; after
/// <see cref="RedisJobQueueOptions.ClaimIdleTime"/> another takes the entry with <c>XAUTOCLAIM</c>, becomes the
/// job's <c>owner</c> and resumes at the checkpoint. Checkpoints and refreshes are fenced on the owner (Lua), so a
/// worker presumed dead that wakes up cannot count an item twice or steal the entry back.</para>
/// <para>Every transient Redis failure surfaces as <see cref="JobQueueUnavailableException"/>.</para>
/// </remarks>
public sealed partial class RedisJobQueue : IJobQueue
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisJobQueueOptions _options;
    private readonly RedisJobQueueNames _names;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile bool _groupReady;

    /// <summary>Creates the queue on the process's Redis connection.</summary>
    public RedisJobQueue(IConnectionMultiplexer redis, IOptions<RedisJobQueueOptions> options, TimeProvider time, ILogger<RedisJobQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _options = options.Value;
        _names = new RedisJobQueueNames(_options.KeyPrefix);
        _time = time;
        _logger = logger;
        ConsumerName = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>This process's consumer name in the group (shown in the logs on takeover).</summary>
    public string ConsumerName { get; }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public async ValueTask<EnqueueResult> EnqueueAsync(
        EnrichmentJob job, Func<CancellationToken, ValueTask> onReserved, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(onReserved);
        var active = _names.Active(job.BomId);
        var jobKey = _names.Job(job.JobId);
        var reserved = (string?)await Guard(() => Db.ScriptEvaluateAsync(RedisJobQueueScripts.Reserve,
            [active, jobKey], [job.JobId, (long)_options.ReserveTimeout.TotalMilliseconds]));
        if (reserved != job.JobId)
        {
            return new EnqueueResult(false, reserved ?? job.JobId);
        }

        try
        {
            await onReserved(cancellationToken);
        }
        catch
        {
            await TryReleaseAsync(active, jobKey, job.JobId);
            throw;
        }

        var jobJson = JsonSerializer.Serialize(job, JobsJsonContext.Default.EnrichmentJob);
        var itemsJson = JsonSerializer.Serialize(job.Items, JobsJsonContext.Default.IReadOnlyListLineItem);
        var submitted = (int)await Guard(() => Db.ScriptEvaluateAsync(RedisJobQueueScripts.Submit,
            [active, _names.Items(job.BomId), _names.Stream], [job.JobId, jobJson, itemsJson]));
        return submitted == 1
            ? new EnqueueResult(true, job.JobId)
            : throw new JobQueueUnavailableException($"The reservation of BOM {job.BomId} expired before its job could be queued.");
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<LineItem>?> GetLastItemsAsync(string bomId, CancellationToken cancellationToken = default)
    {
        var json = await Guard(() => Db.StringGetAsync(_names.Items(bomId)));
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)json!, JobsJsonContext.Default.IReadOnlyListLineItem);
    }

    /// <inheritdoc />
    public async ValueTask<string?> CancelAsync(string bomId, CancellationToken cancellationToken = default)
    {
        string? jobId = await Guard(() => Db.StringGetAsync(_names.Active(bomId)));
        if (jobId is null)
        {
            return null;
        }

        // The owner sees the flag at its next checkpoint or refresh; a queued job sees it when it is dequeued.
        await Guard(() => Db.HashSetAsync(_names.Job(jobId), "cancelled", "1"));
        return jobId;
    }

    /// <inheritdoc />
    public async ValueTask<IJobLease> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await EnsureGroupAsync();

            // First orphans (their worker stopped refreshing them), then new jobs.
            var claimed = await Guard(() => Db.StreamAutoClaimAsync(_names.Stream, _options.ConsumerGroup, ConsumerName,
                (long)_options.ClaimIdleTime.TotalMilliseconds, "0-0", 1));
            var entry = claimed.ClaimedEntries?.FirstOrDefault(e => !e.Id.IsNull) ?? StreamEntry.Null;
            var takeover = !entry.Id.IsNull;
            if (!takeover)
            {
                var read = await Guard(() => Db.StreamReadGroupAsync(_names.Stream, _options.ConsumerGroup, ConsumerName, ">", 1));
                entry = read is { Length: > 0 } ? read[0] : StreamEntry.Null;
            }

            if (!entry.Id.IsNull && await TryLeaseAsync(entry, takeover) is { } lease)
            {
                return lease;
            }

            if (entry.Id.IsNull)
            {
                await Task.Delay(_options.PollInterval, _time, cancellationToken);
            }
        }
    }

    private async Task<RedisJobLease?> TryLeaseAsync(StreamEntry entry, bool takeover)
    {
        EnrichmentJob? job = null;
        try
        {
            var json = entry["job"];
            job = json.IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)json!, JobsJsonContext.Default.EnrichmentJob);
        }
        catch (JsonException)
        {
            // An unusable entry, dropped below.
        }

        if (job is null)
        {
            Log.DroppedEntry(_logger, entry.Id.ToString());
            await Guard(() => Db.StreamAcknowledgeAsync(_names.Stream, _options.ConsumerGroup, entry.Id));
            await Guard(() => Db.StreamDeleteAsync(_names.Stream, [entry.Id]));
            return null;
        }

        var fields = (RedisValue[]?)await Guard(() => Db.ScriptEvaluateAsync(RedisJobQueueScripts.Own, [_names.Job(job.JobId)], [ConsumerName]));
        var checkpoint = fields is { Length: 4 }
            ? new JobCheckpoint(ToInt(fields[0]), ToInt(fields[1]), ToInt(fields[2]))
            : JobCheckpoint.None;
        if (takeover)
        {
            Log.TookOver(_logger, job.JobId, job.BomId, checkpoint.Processed);
        }

        return new RedisJobLease(this, entry.Id, job, checkpoint, takeover, cancelled: fields is { Length: 4 } && fields[3] == "1");
    }

    private async Task EnsureGroupAsync()
    {
        if (_groupReady)
        {
            return;
        }

        try
        {
            await Guard(() => Db.StreamCreateConsumerGroupAsync(_names.Stream, _options.ConsumerGroup, "0-0", createStream: true));
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another process created it.
        }

        _groupReady = true;
    }

    private async Task TryReleaseAsync(RedisKey active, RedisKey jobKey, string jobId)
    {
        try
        {
            await Db.ScriptEvaluateAsync(RedisJobQueueScripts.Release, [active, jobKey], [jobId]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Best effort, whatever the failure (the caller reports the original one): the reservation expires by
            // itself after ReserveTimeout.
            Log.ReleaseFailed(_logger, ex, jobId);
        }
    }

    private static int ToInt(RedisValue value) =>
        value.IsNullOrEmpty ? 0 : int.Parse((string)value!, NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs one Redis call; a transient Redis failure (<see cref="RedisTransientErrors"/>) becomes
    /// <see cref="JobQueueUnavailableException"/>, which callers retry or answer with 503. Any other error (a bug,
    /// a foreign key of the wrong type) is not hidden behind a retry.
    /// </summary>
    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // Redis lost the group (restarted without persistence): create it again on the next call.
            _groupReady = false;
            throw new JobQueueUnavailableException("The job queue's consumer group is missing.", ex);
        }
        catch (Exception ex) when (RedisTransientErrors.IsTransient(ex))
        {
            throw new JobQueueUnavailableException("The job queue (Redis) is unavailable.", ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.RedisJobsTookOver, LogLevel.Information, "Job {JobId} of BOM {BomId} taken over from a stopped worker after item {Processed}")]
        public static partial void TookOver(ILogger logger, string jobId, string bomId, int processed);

        [LoggerMessage(LogEventIds.RedisJobsDroppedEntry, LogLevel.Warning, "Dropped unreadable job queue entry {EntryId}")]
        public static partial void DroppedEntry(ILogger logger, string entryId);

        [LoggerMessage(LogEventIds.RedisJobsHeartbeatFailed, LogLevel.Warning, "Job {JobId}: refreshing the pending entry failed; retrying while Redis is unavailable")]
        public static partial void HeartbeatFailed(ILogger logger, Exception exception, string jobId);

        [LoggerMessage(LogEventIds.RedisJobsReleaseFailed, LogLevel.Warning, "Job {JobId}: releasing the reservation failed; it expires by itself")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception, string jobId);

        [LoggerMessage(LogEventIds.RedisJobsHeartbeatRestored, LogLevel.Information, "Job {JobId}: refreshing the pending entry works again after {Failures} failed attempts")]
        public static partial void HeartbeatRestored(ILogger logger, string jobId, int failures);

        [LoggerMessage(LogEventIds.RedisJobsGiveBackFailed, LogLevel.Warning, "Job {JobId}: giving the job back failed; another worker takes it over after the claim idle time")]
        public static partial void GiveBackFailed(ILogger logger, Exception exception, string jobId);
    }
}
