using System.Threading.Channels;

namespace NotificationHub.Jobs.InMemory;

/// <summary>
/// The embedded queue (one process; the worker is hosted in the server). Same rules as the Redis queue: one active
/// job per BOM, <c>started</c> before the job is visible, per-job checkpoints, and a job given back by a stopping
/// worker resumes from its checkpoint.
/// </summary>
public sealed class InMemoryJobQueue : IJobQueue, IDisposable
{
    private readonly Channel<ActiveJob> _visible = Channel.CreateUnbounded<ActiveJob>();
    private readonly Dictionary<string, ActiveJob> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<LineItem>> _lastItems = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public async ValueTask<EnqueueResult> EnqueueAsync(
        EnrichmentJob job, Func<CancellationToken, ValueTask> onReserved, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(onReserved);
        var entry = new ActiveJob(job);
        lock (_gate)
        {
            if (_active.TryGetValue(job.BomId, out var running))
            {
                return new EnqueueResult(false, running.Job.JobId);
            }

            _active[job.BomId] = entry;
        }

        try
        {
            await onReserved(cancellationToken);
        }
        catch
        {
            Remove(entry);
            throw;
        }

        lock (_gate)
        {
            _lastItems[job.BomId] = job.Items;
        }

        _visible.Writer.TryWrite(entry);
        return new EnqueueResult(true, job.JobId);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<LineItem>?> GetLastItemsAsync(string bomId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_lastItems.GetValueOrDefault(bomId));
        }
    }

    /// <inheritdoc />
    public ValueTask<string?> CancelAsync(string bomId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // Under the lock: Remove disposes the source under the same lock.
            var entry = _active.GetValueOrDefault(bomId);
            entry?.Cancel.Cancel();
            return ValueTask.FromResult(entry?.Job.JobId);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IJobLease> DequeueAsync(CancellationToken cancellationToken)
    {
        var entry = await _visible.Reader.ReadAsync(cancellationToken);
        var lease = new Lease(this, entry);
        lock (_gate)
        {
            entry.Owner = lease;
        }

        return lease;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var entry in _active.Values)
            {
                entry.Cancel.Dispose();
            }

            _active.Clear();
        }
    }

    private void Remove(ActiveJob entry)
    {
        lock (_gate)
        {
            if (_active.TryGetValue(entry.Job.BomId, out var current) && ReferenceEquals(current, entry))
            {
                _active.Remove(entry.Job.BomId);
            }

            entry.Cancel.Dispose();
        }
    }

    private sealed class ActiveJob(EnrichmentJob job)
    {
        public EnrichmentJob Job { get; } = job;

        public CancellationTokenSource Cancel { get; } = new();

        public JobCheckpoint Checkpoint { get; set; }

        public bool GivenBack { get; set; }

        public Lease? Owner { get; set; }
    }

    private sealed class Lease(InMemoryJobQueue queue, ActiveJob entry) : IJobLease
    {
        private readonly bool _takeover = entry.GivenBack;
        private bool _ended;

        public EnrichmentJob Job => entry.Job;

        public JobCheckpoint Checkpoint { get; } = entry.Checkpoint;

        public bool IsTakeover => _takeover;

        public CancellationToken CancellationRequested => entry.Cancel.Token;

        public ValueTask SaveCheckpointAsync(JobCheckpoint checkpoint, CancellationToken cancellationToken = default)
        {
            lock (queue._gate)
            {
                if (!ReferenceEquals(entry.Owner, this))
                {
                    throw new JobLeaseLostException(Job.JobId);
                }

                entry.Checkpoint = checkpoint;
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken = default)
        {
            if (!_ended)
            {
                _ended = true;
                queue.Remove(entry);
            }

            return ValueTask.CompletedTask;
        }

        // Not completed: give the job back, so the next worker resumes it from its checkpoint.
        public ValueTask DisposeAsync()
        {
            if (_ended)
            {
                return ValueTask.CompletedTask;
            }

            _ended = true;
            lock (queue._gate)
            {
                if (ReferenceEquals(entry.Owner, this))
                {
                    entry.Owner = null;
                    entry.GivenBack = true;
                    queue._visible.Writer.TryWrite(entry);
                }
            }

            return ValueTask.CompletedTask;
        }
    }
}
