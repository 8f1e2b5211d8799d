namespace NotificationHub.Jobs;

/// <summary>
/// This worker no longer owns the job: it was presumed dead (it stopped refreshing its lease) and another worker
/// took the job over. The worker must stop without publishing anything more for it.
/// </summary>
public sealed class JobLeaseLostException : Exception
{
    /// <summary>Creates the exception for <paramref name="jobId"/>.</summary>
    public JobLeaseLostException(string jobId)
        : base($"Job {jobId} was taken over by another worker.") => JobId = jobId;

    /// <summary>Creates the exception.</summary>
    public JobLeaseLostException()
        : this("?")
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobLeaseLostException(string message, Exception innerException)
        : base(message, innerException) => JobId = "?";

    /// <summary>The job.</summary>
    public string JobId { get; }
}
