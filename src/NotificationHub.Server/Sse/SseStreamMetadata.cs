namespace NotificationHub.Server.Sse;

/// <summary>
/// Marks the stream endpoints, so that middleware which only matters before a response starts can skip them (a
/// stream's request holds every suspended middleware frame for the stream's whole life).
/// </summary>
internal sealed class SseStreamMetadata
{
    /// <summary>The one instance.</summary>
    public static readonly SseStreamMetadata Instance = new();

    private SseStreamMetadata()
    {
    }
}
