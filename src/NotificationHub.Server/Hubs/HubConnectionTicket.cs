using System.Threading.RateLimiting;
using NotificationHub.Server.RateLimiting;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// One SignalR connection as <see cref="HubConnectionGate"/> knows it: its connection token, the owner that negotiated
/// it, and, from the start of its transport to the end of the connection, its concurrency lease.
/// </summary>
internal sealed class HubConnectionTicket(string? token, ConnectionOwner owner, long createdAtTicks)
{
    private const int Pending = 0, Starting = 1, Started = 2, Ended = 3;

    private int _state;
    private RateLimitLease? _lease;

    /// <summary>The connection token (<c>id=</c>), or null for a WebSocket opened without negotiation.</summary>
    public string? Token { get; } = token;

    /// <summary>Whoever negotiated the connection: only they may use its token.</summary>
    public ConnectionOwner Owner { get; } = owner;

    /// <summary>When it was negotiated (<see cref="TimeProvider"/> ticks).</summary>
    public long CreatedAtTicks { get; } = createdAtTicks;

    /// <summary>Negotiated, its transport not started yet.</summary>
    public bool IsPending => Volatile.Read(ref _state) == Pending;

    /// <summary>True for the one request that starts the transport (the first <c>GET</c>); false for every later one.</summary>
    public bool TryBeginStart() => Interlocked.CompareExchange(ref _state, Starting, Pending) == Pending;

    /// <summary>The transport started, holding <paramref name="lease"/> until <see cref="End"/>.</summary>
    public void Start(RateLimitLease lease)
    {
        _lease = lease;
        if (Interlocked.CompareExchange(ref _state, Started, Starting) != Starting)
        {
            lease.Dispose(); // ended meanwhile
        }
    }

    /// <summary>The start was refused (limit): the ticket is pending again, as after its negotiation.</summary>
    public void CancelStart() => Interlocked.CompareExchange(ref _state, Pending, Starting);

    /// <summary>The connection ended (or never started): its slot is given back, once.</summary>
    /// <returns>True the first time.</returns>
    public bool End()
    {
        if (Interlocked.Exchange(ref _state, Ended) == Ended)
        {
            return false;
        }

        Interlocked.Exchange(ref _lease, null)?.Dispose();
        return true;
    }
}
