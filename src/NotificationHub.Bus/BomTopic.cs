using System.Collections.Immutable;

namespace NotificationHub.Bus;

/// <summary>
/// A BOM this node watches: one backend subscription shared by all local subscribers. The subscriber list is
/// copy-on-write so fan-out iterates it without a lock.
/// </summary>
internal sealed class BomTopic
{
    public BomTopic(string bomId, string ownerTenantId)
    {
        BomId = bomId;
        OwnerTenantId = ownerTenantId;
    }

    public string BomId { get; }

    /// <summary>The BOM's owner; channel messages of any other tenant are dropped.</summary>
    public string OwnerTenantId { get; }

    /// <summary>Guarded by the bus's topic lock.</summary>
    public int RefCount { get; set; }

    /// <summary>Completes when the backend subscription is in place.</summary>
    public Task<IAsyncDisposable>? BackendSubscription { get; set; }

    public ImmutableArray<LocalSubscription> Subscribers { get; set; } = [];
}
