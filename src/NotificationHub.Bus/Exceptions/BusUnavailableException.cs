namespace NotificationHub.Bus;

/// <summary>Thrown when the backend (Redis) cannot be reached: publishing fails loudly, never silently.</summary>
public sealed class BusUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BusUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public BusUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public BusUnavailableException() { }
}
