namespace NotificationHub.Bus;

/// <summary>Ends a subscription that fell more than its capacity behind: the subscriber could not keep up.</summary>
public sealed class SlowConsumerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SlowConsumerException() : base("The subscriber could not keep up and was disconnected.") { }

    /// <summary>Creates the exception.</summary>
    public SlowConsumerException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public SlowConsumerException(string message, Exception inner) : base(message, inner) { }
}
