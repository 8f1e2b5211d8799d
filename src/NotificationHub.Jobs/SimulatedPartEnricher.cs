using Microsoft.Extensions.Options;

namespace NotificationHub.Jobs;

/// <summary>
/// A deterministic stand-in for a supplier lookup: a fixed latency per item, and an error for the MPNs whose hash
/// falls under <see cref="JobOptions.ErrorRate"/>, so demos and tests are reproducible.
/// </summary>
public sealed class SimulatedPartEnricher(IOptions<JobOptions> options, TimeProvider time) : IPartEnricher
{
    /// <inheritdoc />
    public async ValueTask<string?> EnrichAsync(LineItem item, CancellationToken cancellationToken)
    {
        if (options.Value.ItemLatency > TimeSpan.Zero)
        {
            await Task.Delay(options.Value.ItemLatency, time, cancellationToken);
        }

        return Fnv1a(item.Mpn) / (double)uint.MaxValue < options.Value.ErrorRate ? $"No supplier data for {item.Mpn}" : null;
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
