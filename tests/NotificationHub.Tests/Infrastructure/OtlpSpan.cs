namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// A span as exported over OTLP/HTTP (decoded by <see cref="OtlpTraceReceiver"/>): ids in lowercase hex (an empty
/// <see cref="ParentSpanId"/> for a root), the exporting process's <c>service.name</c>, string and integer attributes
/// as text, and its links.
/// </summary>
public sealed record OtlpSpan(
    string ServiceName,
    string Name,
    int Kind,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<OtlpLink> Links)
{
    /// <summary>OTLP's <c>SPAN_KIND_SERVER</c>.</summary>
    public const int Server = 2;

    /// <summary>OTLP's <c>SPAN_KIND_PRODUCER</c>.</summary>
    public const int Producer = 4;

    /// <summary>OTLP's <c>SPAN_KIND_CONSUMER</c>.</summary>
    public const int Consumer = 5;

    /// <summary>The attribute's value, or null.</summary>
    public string? Attribute(string key) => Attributes.GetValueOrDefault(key);
}
