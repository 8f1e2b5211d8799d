using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The hub connections open on this node, by connection id. A pump writes pre-serialized messages straight to its
/// connection's <see cref="HubConnectionContext"/>: sending through <see cref="IHubContext{THub}"/> to one connection
/// serializes the message again for every connection, while a <see cref="SerializedHubMessage"/> is serialized once
/// per protocol and its bytes shared by all. SignalR hands the context out only to its lifetime manager, so
/// <see cref="TrackingHubLifetimeManager{THub}"/> fills this registry.
/// </summary>
public sealed class LocalHubConnections
{
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);

    /// <summary>The open connection with this id on this node, or null.</summary>
    public HubConnectionContext? Find(string connectionId) =>
        _connections.TryGetValue(connectionId, out var connection) ? connection : null;

    internal void Add(HubConnectionContext connection) => _connections[connection.ConnectionId] = connection;

    internal void Remove(HubConnectionContext connection) =>
        _connections.TryRemove(new KeyValuePair<string, HubConnectionContext>(connection.ConnectionId, connection));
}
