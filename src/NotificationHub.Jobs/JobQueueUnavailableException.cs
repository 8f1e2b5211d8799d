namespace NotificationHub.Jobs;

/// <summary>The job queue's store (Redis) cannot be reached; nothing was enqueued or cancelled.</summary>
public sealed class JobQueueUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JobQueueUnavailableException()
        : base("The job queue is unavailable.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobQueueUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobQueueUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
