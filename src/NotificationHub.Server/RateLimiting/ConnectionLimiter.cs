using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace NotificationHub.Server.RateLimiting;

/// <summary>
/// The connection limits of <see cref="ConnectionLimitOptions"/>, shared by SSE streams and SignalR connections (every
/// transport): per user and per tenant at once, and connection attempts per user per minute.
/// </summary>
/// <remarks>
/// A concurrency lease is held for the connection's whole life and disposed when it ends, which gives its slot back;
/// an attempt permit is spent when taken (a fixed window: disposing it returns nothing).
/// </remarks>
public sealed class ConnectionLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<ConnectionOwner> _attempts;
    private readonly PartitionedRateLimiter<ConnectionOwner> _open;
    private readonly PartitionedRateLimiter<ConnectionOwner> _attemptAndOpen;
    private readonly PartitionedRateLimiter<ConnectionOwner> _perUser;
    private readonly PartitionedRateLimiter<ConnectionOwner> _perTenant;

    /// <summary>Creates the limiters from the options.</summary>
    public ConnectionLimiter(IOptions<ConnectionLimitOptions> options)
    {
        var limits = options.Value;
        _attempts = PartitionedRateLimiter.Create<ConnectionOwner, ConnectionOwner>(owner =>
            RateLimitPartition.GetFixedWindowLimiter(owner, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.PerUserConnectionsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
        _perUser = PartitionedRateLimiter.Create<ConnectionOwner, ConnectionOwner>(owner =>
            RateLimitPartition.GetConcurrencyLimiter(owner, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.PerUserConcurrentConnections,
                QueueLimit = 0,
            }));
        _perTenant = PartitionedRateLimiter.Create<ConnectionOwner, string>(owner =>
            owner.TenantId is { } tenant
                ? RateLimitPartition.GetConcurrencyLimiter(tenant, _ => new ConcurrencyLimiterOptions
                {
                    PermitLimit = limits.PerTenantConcurrentConnections,
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(""));
        _open = PartitionedRateLimiter.CreateChained(_perUser, _perTenant);
        _attemptAndOpen = PartitionedRateLimiter.CreateChained(_attempts, _perUser, _perTenant);
    }

    /// <summary>A connection attempt that opens nothing yet (a SignalR negotiation): the per-minute limit only.</summary>
    public RateLimitLease AttemptOnly(ConnectionOwner owner) => _attempts.AttemptAcquire(owner);

    /// <summary>A connection that was counted as an attempt already (at its negotiation) starts: the concurrency limits.</summary>
    public RateLimitLease Open(ConnectionOwner owner) => _open.AttemptAcquire(owner);

    /// <summary>A new connection in one request (an SSE stream, a WebSocket without negotiation): every limit.</summary>
    public RateLimitLease AttemptAndOpen(ConnectionOwner owner) => _attemptAndOpen.AttemptAcquire(owner);

    /// <inheritdoc />
    public void Dispose()
    {
        _attemptAndOpen.Dispose();
        _open.Dispose();
        _attempts.Dispose();
        _perUser.Dispose();
        _perTenant.Dispose();
    }
}
