namespace NotificationHub.Jobs;

/// <summary>
/// Retrying through an outage of Redis: exponential backoff with jitter, and the rule that an outage is logged once
/// when it starts and once when it ends, not at every retry. Not thread-safe: one per retrying loop.
/// </summary>
/// <remarks>
/// Jitter (each delay drawn between half and all of the exponential step) keeps the workers of every node from
/// retrying in lockstep against a Redis that is just coming back.
/// </remarks>
/// <param name="initial">The first delay (before jitter).</param>
/// <param name="max">The longest delay.</param>
public sealed class RetryBackoff(TimeSpan initial, TimeSpan max)
{
    /// <summary>The worker's loops: 100 ms doubling up to 5 s.</summary>
    public static RetryBackoff Default() => new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    /// <summary>Failures since the last success (0: no outage).</summary>
    public int Failures { get; private set; }

    /// <summary>Counts a failure; true when it starts an outage (the one to log).</summary>
    public bool Fail() => ++Failures == 1;

    /// <summary>Ends an outage; returns how many failures it had (0 when there was none, so nothing to log).</summary>
    public int Succeed()
    {
        var failures = Failures;
        Failures = 0;
        return failures;
    }

    /// <summary>The delay before the next attempt, after <see cref="Failures"/> failures.</summary>
    public TimeSpan NextDelay()
    {
        var exponent = Math.Min(Math.Max(Failures - 1, 0), 16);
        var step = Math.Min(initial.Ticks * (1L << exponent), max.Ticks);
        return TimeSpan.FromTicks((long)(step * (0.5 + (Random.Shared.NextDouble() / 2))));
    }

    /// <summary>Waits <see cref="NextDelay"/>.</summary>
    public Task DelayAsync(TimeProvider time, CancellationToken cancellationToken) =>
        Task.Delay(NextDelay(), time, cancellationToken);
}
