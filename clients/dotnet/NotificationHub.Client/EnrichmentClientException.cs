namespace NotificationHub.Client;

/// <summary>The server refused a watch (unknown BOM, bad id, no access) or the connection could not be kept.</summary>
public sealed class EnrichmentClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EnrichmentClientException() { }

    /// <summary>Creates the exception.</summary>
    public EnrichmentClientException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public EnrichmentClientException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The HTTP status of an SSE refusal, if any.</summary>
    public int? StatusCode { get; init; }
}
