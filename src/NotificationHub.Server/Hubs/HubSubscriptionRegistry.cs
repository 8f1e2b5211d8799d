using System.Collections.Concurrent;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The BOMs each hub connection watches, keyed by connection id. Hub instances live for one invocation, so the
/// per-connection state lives here; <see cref="EnrichmentHub.OnDisconnectedAsync"/> releases it.
/// </summary>
public sealed class HubSubscriptionRegistry
{
    private readonly ConcurrentDictionary<string, ConnectionSubscriptions> _connections = new(StringComparer.Ordinal);

    /// <summary>Connections that watch, or watched, at least one BOM and are still open.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The BOMs a connection watches now.</summary>
    public IReadOnlyCollection<string> WatchedBoms(string connectionId) =>
        _connections.TryGetValue(connectionId, out var connection) ? connection.BomIds() : [];

    internal ConnectionSubscriptions GetOrAdd(string connectionId) =>
        _connections.GetOrAdd(connectionId, static _ => new ConnectionSubscriptions());

    internal bool TryGet(string connectionId, out ConnectionSubscriptions connection) =>
        _connections.TryGetValue(connectionId, out connection!);

    /// <summary>Forgets a connection and stops all its pumps; returns how many BOMs it watched.</summary>
    internal async Task<int> RemoveConnectionAsync(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var connection))
        {
            return 0;
        }

        var pumps = connection.Close();
        foreach (var pump in pumps)
        {
            await pump.StopAsync();
        }

        return pumps.Count;
    }
}

/// <summary>The pumps of one connection, one per watched BOM.</summary>
internal sealed class ConnectionSubscriptions
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, BomPump> _pumps = new(StringComparer.Ordinal);
    private bool _closed;

    public enum AddResult
    {
        Added,
        CapExceeded,
        Closed,
    }

    public IReadOnlyCollection<string> BomIds()
    {
        lock (_gate)
        {
            return [.. _pumps.Keys];
        }
    }

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

    /// <summary>Takes out this very pump (not a newer one of the same BOM).</summary>
    public void RemoveIfSame(BomPump pump)
    {
        lock (_gate)
        {
            if (_pumps.TryGetValue(pump.BomId, out var current) && ReferenceEquals(current, pump))
            {
                _pumps.Remove(pump.BomId);
            }
        }
    }

    /// <summary>Refuses further BOMs and hands out the current pumps.</summary>
    public List<BomPump> Close()
    {
        lock (_gate)
        {
            _closed = true;
            var pumps = _pumps.Values.ToList();
            _pumps.Clear();
            return pumps;
        }
    }
}
