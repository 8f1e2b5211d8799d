using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using NotificationHub.Server.Auth;

namespace NotificationHub.Server.RateLimiting;

/// <summary>
/// The named rate-limiting policy <see cref="ConnectionRateLimiter.StreamPolicy"/>, attached to the SSE stream
/// endpoints: every limit of <see cref="ConnectionLimiter"/> (attempts per minute, concurrent per user and per tenant),
/// held by ASP.NET Core's rate-limiting middleware for exactly as long as the stream's request.
/// </summary>
internal sealed class StreamConnectionPolicy(ConnectionLimiter limiter, IOptions<AuthOptions> authOptions) : IRateLimiterPolicy<ConnectionOwner>
{
    /// <inheritdoc />
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } =
        static (context, _) => new ValueTask(ConnectionRateLimiter.RejectAsync(context.HttpContext, context.Lease));

    // One delegate for every partition, not a closure per stream request.
    private readonly Func<ConnectionOwner, RateLimiter> _newLimiter = owner => new OwnerLimiter(limiter, owner);

    /// <inheritdoc />
    public RateLimitPartition<ConnectionOwner> GetPartition(HttpContext httpContext) =>
        ConnectionOwner.Of(httpContext.User, authOptions.Value.TenantClaim) is { } owner
            ? RateLimitPartition.Get(owner, _newLimiter)
            : RateLimitPartition.GetNoLimiter(default(ConnectionOwner)); // unauthenticated: the endpoint answers 401

    /// <summary>One owner's view of the shared limiter. Holds no state, so the middleware may drop it whenever it likes.</summary>
    private sealed class OwnerLimiter(ConnectionLimiter limiter, ConnectionOwner owner) : RateLimiter
    {
        public override TimeSpan? IdleDuration => TimeSpan.MaxValue;

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => limiter.AttemptAndOpen(owner);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            ValueTask.FromResult(limiter.AttemptAndOpen(owner));
    }
}
