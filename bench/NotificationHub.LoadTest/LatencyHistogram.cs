namespace NotificationHub.LoadTest;

/// <summary>
/// Lock-free latency histogram: 1 µs buckets up to 10 ms, then 100 µs buckets up to 10 s (anything later counts
/// in the last bucket). Recording is one interlocked increment, so receive loops never contend on a lock.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int FineBuckets = 10_000;              // 0..10 ms by 1 µs
    private const int CoarseBuckets = 99_900;            // 10 ms..10 s by 100 µs
    private readonly long[] _counts = new long[FineBuckets + CoarseBuckets + 1];
    private long _max;

    public void Record(long micros)
    {
        if (micros < 0)
        {
            micros = 0;
        }

        var index = micros < FineBuckets ? micros : Math.Min(FineBuckets + ((micros - FineBuckets) / 100), _counts.Length - 1);
        Interlocked.Increment(ref _counts[index]);
        long max;
        while (micros > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, max) != max)
        {
        }
    }

    public long Count => _counts.Sum();

    public long MaxMicros => Volatile.Read(ref _max);

    /// <summary>The value (µs, bucket lower bound) at quantile <paramref name="q"/> (0..1).</summary>
    public double Percentile(double q)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank && _counts[i] > 0)
            {
                return i < FineBuckets ? i : FineBuckets + ((i - FineBuckets) * 100.0);
            }
        }

        return MaxMicros;
    }
}
