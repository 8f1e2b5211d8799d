using Microsoft.Extensions.Options;

namespace NotificationHub.Jobs;

/// <summary>
/// A deterministic stand-in for a supplier lookup: a fixed latency per item, and an error for the MPNs whose hash
/// falls under <see cref="SimulatedEnricherOptions.ErrorRate"/>, so demos and tests are reproducible.
/// </summary>
public sealed class SimulatedPartEnricher(IOptions<SimulatedEnricherOptions> options, TimeProvider time) : IPartEnricher
{
    /// <inheritdoc />
    public async ValueTask<string?> EnrichAsync(LineItem item, CancellationToken cancellationToken)
    {
        if (options.Value.ItemLatency > TimeSpan.Zero)
        {
            await Task.Delay(options.Value.ItemLatency, time, cancellationToken);
        }

        return Fails(item.Mpn, options.Value.ErrorRate) ? $"No supplier data for {item.Mpn}" : null;
    }

    /// <summary>True when the simulator fails <paramref name="mpn"/> at <paramref name="errorRate"/> (the same in every process and run).</summary>
    public static bool Fails(string mpn, double errorRate)
    {
        ArgumentNullException.ThrowIfNull(mpn);
        return Fnv1a(mpn) / (double)uint.MaxValue < errorRate;
    }

    // Stable across processes and runs (string.GetHashCode is randomized per process).
    private static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
