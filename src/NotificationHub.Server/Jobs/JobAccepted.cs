using System.Text.Json.Serialization;

namespace NotificationHub.Server.Jobs;

/// <summary>Answer of the start and cancel endpoints.</summary>
public sealed record JobAccepted
{
    /// <summary>The job.</summary>
    [JsonPropertyName("job_id")]
    public string JobId { get; init; } = "";

    /// <summary>The BOM.</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";
}
