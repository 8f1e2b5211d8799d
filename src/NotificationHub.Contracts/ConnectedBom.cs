using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>One BOM of a multi-BOM stream's <c>connected</c> event (<see cref="MultiBomConnectedEvent"/>).</summary>
public sealed record ConnectedBom
{
    /// <summary>The BOM.</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";

    /// <summary>
    /// False when the cursor named a log id of this BOM that the replay log no longer holds: its snapshot follows
    /// instead of the missed events (as <see cref="ConnectedEvent.Recovered"/>).
    /// </summary>
    [JsonPropertyName("recovered")]
    public bool Recovered { get; init; } = true;

    /// <summary>True when the cursor's id of this BOM is its terminal event: nothing more is sent for it.</summary>
    [JsonPropertyName("ended")]
    public bool Ended { get; init; }
}
