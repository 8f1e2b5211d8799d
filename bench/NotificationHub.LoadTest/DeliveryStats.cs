using System.Diagnostics;

namespace NotificationHub.LoadTest;

/// <summary>Counters shared by every subscriber of a run.</summary>
internal sealed class DeliveryStats
{
    private long _received;
    private long _duplicates;
    private long _gaps;
    private long _firstDeliveryTicks;
    private long _lastDeliveryTicks;
    private long _connectErrors;
    private long _streamErrors;

    public LatencyHistogram Latency { get; private set; } = new();

    /// <summary>Forgets the warm-up's deliveries (each subscriber keeps its last sequence number).</summary>
    public void Reset()
    {
        Latency = new LatencyHistogram();
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _duplicates, 0);
        Interlocked.Exchange(ref _gaps, 0);
        Interlocked.Exchange(ref _firstDeliveryTicks, 0);
        Interlocked.Exchange(ref _lastDeliveryTicks, 0);
    }

    public long Received => Interlocked.Read(ref _received);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Gaps => Interlocked.Read(ref _gaps);

    public long ConnectErrors => Interlocked.Read(ref _connectErrors);

    public long StreamErrors => Interlocked.Read(ref _streamErrors);

    public long FirstDeliveryTicks => Interlocked.Read(ref _firstDeliveryTicks);

    public long LastDeliveryTicks => Interlocked.Read(ref _lastDeliveryTicks);

    /// <summary>First error message seen (for the report), if any.</summary>
    public string? FirstError { get; private set; }

    public void ConnectFailed(string message)
    {
        Interlocked.Increment(ref _connectErrors);
        FirstError ??= message;
    }

    public void StreamFailed(string message)
    {
        Interlocked.Increment(ref _streamErrors);
        FirstError ??= message;
    }

    /// <summary>Records one delivery of event <paramref name="seq"/> published at <paramref name="publishedTicks"/> (Stopwatch ticks).</summary>
    public void Delivered(ref long lastSeq, long seq, long publishedTicks)
    {
        var now = Stopwatch.GetTimestamp();
        if (seq <= lastSeq)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        if (seq > lastSeq + 1)
        {
            Interlocked.Add(ref _gaps, seq - lastSeq - 1);
        }

        lastSeq = seq;
        Interlocked.Increment(ref _received);
        Interlocked.CompareExchange(ref _firstDeliveryTicks, now, 0);
        if (now > Volatile.Read(ref _lastDeliveryTicks))
        {
            Volatile.Write(ref _lastDeliveryTicks, now); // approximate max: a racing smaller write is off by microseconds
        }

        Latency.Record((now - publishedTicks) * 1_000_000 / Stopwatch.Frequency);
    }
}
