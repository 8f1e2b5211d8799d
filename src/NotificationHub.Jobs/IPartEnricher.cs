namespace NotificationHub.Jobs;

/// <summary>Enriches one part (a supplier lookup in production).</summary>
public interface IPartEnricher
{
    /// <summary>Enriches <paramref name="item"/>; returns null on success or an error message.</summary>
    ValueTask<string?> EnrichAsync(LineItem item, CancellationToken cancellationToken);
}
