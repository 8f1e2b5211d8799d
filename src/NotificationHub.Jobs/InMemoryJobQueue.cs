using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace NotificationHub.Jobs;

/// <summary>The embedded queue: one process, jobs run by the worker hosted in the server.</summary>
public sealed class InMemoryJobQueue : IJobQueue, IDisposable
{
    private readonly Channel<EnrichmentJob> _queue = Channel.CreateUnbounded<EnrichmentJob>();
    private readonly Dictionary<string, (string JobId, CancellationTokenSource Cancel)> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<LineItem>> _lastItems = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public StartResult TryStart(EnrichmentJob job)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(job.BomId, out var running))
            {
                return new StartResult(false, running.JobId);
            }

            _running[job.BomId] = (job.JobId, new CancellationTokenSource());
            _lastItems[job.BomId] = job.Items;
        }

        _queue.Writer.TryWrite(job);
        return new StartResult(true, job.JobId);
    }

    /// <inheritdoc />
    public bool TryCancel(string bomId, out string? jobId)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(bomId, out var running))
            {
                jobId = running.JobId;
                running.Cancel.Cancel();
                return true;
            }
        }

        jobId = null;
        return false;
    }

    /// <inheritdoc />
    public IReadOnlyList<LineItem>? GetLastItems(string bomId)
    {
        lock (_gate)
        {
            return _lastItems.GetValueOrDefault(bomId);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(EnrichmentJob Job, CancellationToken Cancellation)> ReadAllAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var job in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            CancellationToken token;
            lock (_gate)
            {
                token = _running.TryGetValue(job.BomId, out var running) ? running.Cancel.Token : new CancellationToken(true);
            }

            yield return (job, token);
        }
    }

    /// <inheritdoc />
    public void Complete(EnrichmentJob job)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(job.BomId, out var running) && running.JobId == job.JobId)
            {
                _running.Remove(job.BomId);
                running.Cancel.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var running in _running.Values)
            {
                running.Cancel.Dispose();
            }

            _running.Clear();
        }
    }
}
