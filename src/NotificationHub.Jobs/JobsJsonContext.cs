using System.Text.Json.Serialization;

namespace NotificationHub.Jobs;

/// <summary>Source-generated JSON of what the shared (Redis) queue stores: jobs and a BOM's last items.</summary>
[JsonSerializable(typeof(EnrichmentJob))]
[JsonSerializable(typeof(IReadOnlyList<LineItem>))]
public sealed partial class JobsJsonContext : JsonSerializerContext;
