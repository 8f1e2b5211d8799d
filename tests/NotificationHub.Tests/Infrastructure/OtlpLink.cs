namespace NotificationHub.Tests.Infrastructure;

/// <summary>A span link as exported over OTLP: the linked span's ids, lowercase hex.</summary>
public sealed record OtlpLink(string TraceId, string SpanId);
