namespace NotificationHub.Bus;

/// <summary>Thrown when an event's tenant is not the tenant that owns the BOM.</summary>
public sealed class BomOwnershipException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BomOwnershipException(string bomId)
        : base($"BOM '{bomId}' belongs to another tenant.") => BomId = bomId;

    /// <summary>Creates the exception.</summary>
    public BomOwnershipException() : this("") { }

    /// <summary>Creates the exception.</summary>
    public BomOwnershipException(string message, Exception inner) : base(message, inner) => BomId = "";

    /// <summary>The BOM.</summary>
    public string BomId { get; }
}
