namespace NotificationHub.Jobs;

/// <summary>
/// How far a job got: the first <see cref="Processed"/> items are done and counted. A worker that takes over a
/// job resumes at item <see cref="Processed"/>, so no item is counted twice or skipped.
/// </summary>
/// <param name="Processed">Items done (enriched or in error).</param>
/// <param name="Enriched">Items enriched successfully.</param>
/// <param name="Errors">Items that could not be enriched.</param>
public readonly record struct JobCheckpoint(int Processed, int Enriched, int Errors)
{
    /// <summary>Nothing done yet.</summary>
    public static JobCheckpoint None => default;
}
