using NotificationHub.Bus;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// A transport writer for <see cref="StreamPump"/> tests: records what the pump wrote ("event:id", "keepalive",
/// "end:reason"; "end:bom:reason" for one BOM of several), and can refuse to take events or <c>stream_end</c> like a client that stopped reading.
/// </summary>
public sealed class RecordingStreamSink : IStreamSink
{
    private readonly Lock _gate = new();
    private readonly List<string> _written = [];
    private TaskCompletionSource _interrupted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private (int Count, TaskCompletionSource Reached)? _waitForKeepAlives;

    /// <summary>Every event write blocks until the pump interrupts it.</summary>
    public bool BlockEvents { get; init; }

    /// <summary>The <c>stream_end</c> write blocks until its token is cancelled.</summary>
    public bool BlockEnd { get; init; }

    /// <summary>Records "event:bom:id" and "end:bom:reason" (multi-BOM streams: log ids repeat across BOMs) instead of "event:id" and "end:reason".</summary>
    public bool RecordBomIds { get; init; }

    /// <summary>True once the pump aborted the connection.</summary>
    public bool Aborted { get; private set; }

    public IReadOnlyList<string> Written
    {
        get
        {
            lock (_gate)
            {
                return [.. _written];
            }
        }
    }

    /// <summary>Completes when <paramref name="count"/> keepalives were written.</summary>
    public Task KeepAlivesWritten(int count)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waitForKeepAlives = (count, reached);
        }

        return reached.Task;
    }

    public async ValueTask WriteEventAsync(BusEvent busEvent)
    {
        Record(RecordBomIds ? $"event:{busEvent.BomId}:{busEvent.EventId}" : "event:" + busEvent.EventId);
        if (BlockEvents)
        {
            await _interrupted.Task;
            throw new OperationCanceledException("interrupted");
        }
    }

    public void WriteKeepAlive()
    {
        Record("keepalive");
        lock (_gate)
        {
            if (_waitForKeepAlives is { } wait && _written.Count(w => w == "keepalive") >= wait.Count)
            {
                wait.Reached.TrySetResult();
            }
        }
    }

    public ValueTask FlushAsync() => ValueTask.CompletedTask;

    public ValueTask WriteBomEndAsync(string bomId, string reason)
    {
        Record($"end:{bomId}:{reason}");
        return ValueTask.CompletedTask;
    }

    public async ValueTask<bool> WriteEndAsync(IReadOnlyList<string> bomIds, string reason, CancellationToken cancellationToken)
    {
        if (BlockEnd)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        foreach (var bomId in bomIds)
        {
            Record(RecordBomIds ? $"end:{bomId}:{reason}" : "end:" + reason);
        }

        return true;
    }

    public void Interrupt() => _interrupted.TrySetResult();

    public void Abort() => Aborted = true;

    private void Record(string what)
    {
        lock (_gate)
        {
            _written.Add(what);
        }
    }
}
