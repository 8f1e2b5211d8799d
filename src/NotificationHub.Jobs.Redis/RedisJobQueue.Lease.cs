using StackExchange.Redis;

namespace NotificationHub.Jobs.Redis;

public sealed partial class RedisJobQueue
{
    /// <summary>One job owned by this process: refreshes its pending entry until completed or given back.</summary>
    private sealed class RedisJobLease : IJobLease
    {
        private readonly RedisJobQueue _queue;
        private readonly RedisValue _entryId;
        private readonly RedisKey _jobKey;
        private readonly CancellationTokenSource _cancel = new();
        private readonly CancellationTokenSource _stopHeartbeat = new();
        private readonly Task _heartbeat;
        private bool _lost;
        private int _ended;

        public RedisJobLease(RedisJobQueue queue, RedisValue entryId, EnrichmentJob job, JobCheckpoint checkpoint, bool takeover, bool cancelled)
        {
            _queue = queue;
            _entryId = entryId;
            _jobKey = queue._names.Job(job.JobId);
            Job = job;
            Checkpoint = checkpoint;
            IsTakeover = takeover;
            if (cancelled)
            {
                _cancel.Cancel();
            }

            _heartbeat = Task.Run(HeartbeatAsync);
        }

        public EnrichmentJob Job { get; }

        public JobCheckpoint Checkpoint { get; private set; }

        public bool IsTakeover { get; }

        public CancellationToken CancellationRequested => _cancel.Token;

        public async ValueTask SaveCheckpointAsync(JobCheckpoint checkpoint, CancellationToken cancellationToken = default)
        {
            var result = (int)await _queue.Guard(() => _queue.Db.ScriptEvaluateAsync(RedisJobQueueScripts.Checkpoint, [_jobKey],
                [_queue.ConsumerName, checkpoint.Processed, checkpoint.Enriched, checkpoint.Errors]));
            Observe(result);
            Checkpoint = checkpoint;
        }

        public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0)
            {
                return;
            }

            await StopHeartbeatAsync();
            await _queue.Guard(() => _queue.Db.ScriptEvaluateAsync(RedisJobQueueScripts.Complete,
                [_queue._names.Stream, _queue._names.Active(Job.BomId), _jobKey],
                [_queue._options.ConsumerGroup, _entryId, Job.JobId, (long)_queue._options.FinishedRetention.TotalMilliseconds]));
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                await StopHeartbeatAsync();
                if (!_lost)
                {
                    try
                    {
                        await _queue.Db.ScriptEvaluateAsync(RedisJobQueueScripts.GiveBack, [_queue._names.Stream, _jobKey],
                            [_queue.ConsumerName, _queue._options.ConsumerGroup, _entryId, (long)_queue._options.ClaimIdleTime.TotalMilliseconds * 10]);
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        // Then it is taken over after ClaimIdleTime.
                        Log.GiveBackFailed(_queue._logger, ex, Job.JobId);
                    }
                }
            }

            _cancel.Dispose();
            _stopHeartbeat.Dispose();
        }

        private void Observe(int result)
        {
            if (result < 0)
            {
                _lost = true;
                throw new JobLeaseLostException(Job.JobId);
            }

            if (result == 1 && !_cancel.IsCancellationRequested)
            {
                _cancel.Cancel();
            }
        }

        private async Task StopHeartbeatAsync()
        {
            await _stopHeartbeat.CancelAsync();
            await _heartbeat;
        }

        /// <summary>Keeps the pending entry fresh (so nobody takes the job over) and watches for cancellation between items.</summary>
        /// <remarks>
        /// A Redis outage only delays refreshes (logged once when it starts and once when it ends): if it outlasts
        /// <see cref="RedisJobQueueOptions.ClaimIdleTime"/> another worker may take the job over, and this one then
        /// learns at its next checkpoint that it lost it.
        /// </remarks>
        private async Task HeartbeatAsync()
        {
            var interval = _queue._options.ClaimIdleTime / 3;
            var token = _stopHeartbeat.Token;
            var outage = new RetryBackoff(interval, interval);
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, _queue._time, token);
                    var result = (int)await _queue.Guard(() => _queue.Db.ScriptEvaluateAsync(RedisJobQueueScripts.Heartbeat,
                        [_queue._names.Stream, _jobKey], [_queue.ConsumerName, _queue._options.ConsumerGroup, _entryId]));
                    if (outage.Succeed() is > 0 and var failures)
                    {
                        Log.HeartbeatRestored(_queue._logger, Job.JobId, failures);
                    }

                    if (result < 0)
                    {
                        // Lost: the next checkpoint throws; stop refreshing an entry that is not ours.
                        _lost = true;
                        return;
                    }

                    Observe(result);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (JobQueueUnavailableException ex)
                {
                    if (outage.Fail())
                    {
                        Log.HeartbeatFailed(_queue._logger, ex, Job.JobId);
                    }
                }
            }
        }
    }
}
