namespace NotificationHub.Bus;

/// <summary>Thrown when a publish request breaks the contract (unknown type, missing tenant, bad BOM id...).</summary>
public sealed class InvalidEventException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidEventException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public InvalidEventException() { }

    /// <summary>Creates the exception.</summary>
    public InvalidEventException(string message, Exception inner) : base(message, inner) { }
}
