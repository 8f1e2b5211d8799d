using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// SignalR's in-process lifetime manager, plus one thing: each connection gets its
/// <see cref="ConnectionSubscriptions"/> in <see cref="HubConnectionContext.Items"/> (the hub's
/// <see cref="HubCallerContext.Items"/>) before any hub method runs. SignalR hands the <see cref="HubConnectionContext"/>
/// only to its lifetime manager, and a pump needs it to write pre-serialized messages (<see cref="SerializedHubMessage"/>,
/// serialized once per protocol for every connection) instead of a send through <see cref="IHubContext{THub}"/>, which
/// serializes again per connection.
/// </summary>
/// <remarks>
/// No Redis backplane: every node delivers events to its own connections from its own bus subscription, and nothing
/// is sent to groups, users or other nodes' connections (docs/scaleout.md).
/// </remarks>
internal sealed class EnrichmentHubLifetimeManager(ILogger<DefaultHubLifetimeManager<EnrichmentHub>> logger)
    : DefaultHubLifetimeManager<EnrichmentHub>(logger)
{
    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        connection.Items[ConnectionSubscriptions.ItemKey] = new ConnectionSubscriptions(connection);
        return base.OnConnectedAsync(connection);
    }
}
