using Microsoft.AspNetCore.Authorization;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>Counts policy evaluations: the authorization service calls every registered handler once per evaluation.</summary>
public sealed class CountingAuthorizationHandler : IAuthorizationHandler
{
    private int _count;

    /// <summary>The evaluations so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        Interlocked.Increment(ref _count);
        return Task.CompletedTask;
    }
}
