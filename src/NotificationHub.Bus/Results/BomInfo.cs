namespace NotificationHub.Bus;

/// <summary>What the bus knows of a BOM: its owner and its latest event (the snapshot).</summary>
/// <param name="TenantId">The tenant that owns the BOM.</param>
/// <param name="Latest">The latest logged event, or null when the BOM is claimed but nothing was published yet.</param>
public sealed record BomInfo(string TenantId, BusEvent? Latest);
