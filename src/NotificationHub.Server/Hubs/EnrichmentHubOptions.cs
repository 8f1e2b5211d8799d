using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.Hubs;

/// <summary>SignalR hub settings, bound from the <c>Hub</c> section.</summary>
public sealed class EnrichmentHubOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Hub";

    /// <summary>BOMs one connection may watch at once; <c>SubscribeBom</c> beyond it fails with a <c>HubException</c>.</summary>
    [Range(1, 100_000)]
    public int MaxBomsPerConnection { get; set; } = 100;

    /// <summary>
    /// Bytes of unacknowledged messages the server keeps per connection for stateful reconnect (SignalR's
    /// <c>StatefulReconnectBufferSize</c>): a client that reconnects within the buffer loses nothing.
    /// </summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long StatefulReconnectBufferSize { get; set; } = 1024 * 1024;
}
