using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The pumps of one hub connection, one per watched BOM, kept in the connection's <see cref="HubCallerContext.Items"/>
/// (hub instances live for one invocation); <see cref="EnrichmentHub.OnDisconnectedAsync"/> stops them.
/// </summary>
internal sealed class ConnectionSubscriptions(HubConnectionContext connection)
{
    /// <summary>The key in <see cref="HubCallerContext.Items"/>.</summary>
    public static readonly object ItemKey = new();

    private readonly Lock _gate = new();
    private readonly Dictionary<string, BomPump> _pumps = new(StringComparer.Ordinal);
    private bool _closed;

    public enum AddResult
    {
        Added,
        CapExceeded,
        Closed,
    }

    /// <summary>The connection, for the pumps' pre-serialized writes.</summary>
    public HubConnectionContext Connection => connection;

    /// <summary>
    /// Gives a new connection its subscriptions, in <see cref="HubConnectionContext.Items"/> (the hub's
    /// <see cref="HubCallerContext.Items"/>); both lifetime managers call it before any hub method runs. SignalR hands
    /// the <see cref="HubConnectionContext"/> only to its lifetime manager, and a pump needs it to write pre-serialized
    /// messages (<see cref="SerializedHubMessage"/>, serialized once per protocol for every connection) instead of a
    /// send through <see cref="IHubContext{THub}"/>, which serializes again per connection.
    /// </summary>
    public static void Attach(HubConnectionContext connection) =>
        connection.Items[ItemKey] = new ConnectionSubscriptions(connection);

    /// <summary>The subscriptions of the connection a hub method runs for (see <see cref="Attach"/>).</summary>
    public static ConnectionSubscriptions Of(HubCallerContext context) => (ConnectionSubscriptions)context.Items[ItemKey]!;

    /// <summary>True when one more BOM than those watched (other than <paramref name="bomId"/>) would exceed the cap.</summary>
    public bool IsFull(string bomId, int cap)
    {
        lock (_gate)
        {
            return !_pumps.ContainsKey(bomId) && _pumps.Count >= cap;
        }
    }

    /// <summary>Adds the pump of a BOM, replacing (and handing out) one added meanwhile for the same BOM.</summary>
    public AddResult TryAdd(BomPump pump, int cap, out BomPump? replaced)
    {
        replaced = null;
        lock (_gate)
        {
            if (_closed)
            {
                return AddResult.Closed;
            }

            if (_pumps.TryGetValue(pump.BomId, out var existing))
            {
                replaced = existing;
            }
            else if (_pumps.Count >= cap)
            {
                return AddResult.CapExceeded;
            }

            _pumps[pump.BomId] = pump;
            return AddResult.Added;
        }
    }

    /// <summary>Takes the pump of a BOM out, if any.</summary>
    public BomPump? Remove(string bomId)
    {
        lock (_gate)
        {
            return _pumps.Remove(bomId, out var pump) ? pump : null;
        }
    }

    /// <summary>Takes out this very pump (not a newer one of the same BOM); true when it was there.</summary>
    public bool RemoveIfSame(BomPump pump)
    {
        lock (_gate)
        {
            return _pumps.TryGetValue(pump.BomId, out var current) && ReferenceEquals(current, pump) && _pumps.Remove(pump.BomId);
        }
    }

    /// <summary>Refuses further BOMs and stops the current pumps; returns how many BOMs were watched.</summary>
    public async Task<int> CloseAsync()
    {
        List<BomPump> pumps;
        lock (_gate)
        {
            _closed = true;
            pumps = [.. _pumps.Values];
            _pumps.Clear();
        }

        foreach (var pump in pumps)
        {
            await pump.StopAsync();
        }

        return pumps.Count;
    }
}
