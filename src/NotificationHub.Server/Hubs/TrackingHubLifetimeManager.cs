using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Decorates the configured lifetime manager (in-process, or the Redis backplane's) and records each local
/// connection in <see cref="LocalHubConnections"/>; every operation is otherwise the inner manager's.
/// </summary>
/// <remarks>
/// The Redis backplane unsubscribes a closed connection's channels, and all of them when it is disposed (host
/// shutdown), with Redis calls that throw when Redis is gone or hung. The connection is closed and the process is
/// stopping either way, so those failures are logged as warnings instead of failing the disconnect or, from
/// <see cref="Dispose"/>, crashing the stopping process (an exception thrown while the host disposes its services
/// is unhandled: SIGABRT, exit code 134). Any other exception of a disconnect still fails it (a real error).
/// </remarks>
/// <typeparam name="THub">The hub.</typeparam>
internal sealed class TrackingHubLifetimeManager<THub>(HubLifetimeManager<THub> inner, LocalHubConnections connections, ILogger logger)
    : HubLifetimeManager<THub>, IDisposable
    where THub : Hub
{
    /// <summary>The decorated manager.</summary>
    public HubLifetimeManager<THub> Inner => inner;

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await inner.OnConnectedAsync(connection);
        connections.Add(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        connections.Remove(connection);
        try
        {
            await inner.OnDisconnectedAsync(connection);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            HubLog.BackplaneCleanupFailed(logger, "disconnect of " + connection.ConnectionId, ex.GetType().Name, ex.Message);
        }
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendAllAsync(methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        inner.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendGroupAsync(groupName, methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendGroupsAsync(groupNames, methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        inner.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        inner.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        inner.AddToGroupAsync(connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        inner.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);

    public override Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken) =>
        inner.InvokeConnectionAsync<T>(connectionId, methodName, args, cancellationToken);

    public override Task SetConnectionResultAsync(string connectionId, Microsoft.AspNetCore.SignalR.Protocol.CompletionMessage result) =>
        inner.SetConnectionResultAsync(connectionId, result);

    public override bool TryGetReturnType(string invocationId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type) =>
        inner.TryGetReturnType(invocationId, out type);

    public void Dispose()
    {
        try
        {
            (inner as IDisposable)?.Dispose();
        }
        catch (Exception ex)
        {
            // Not only Redis's own exceptions: a client torn down mid-call also throws InvalidOperationException
            // (its pipe is completed) or TaskCanceledException. Nothing can be retried while the process stops.
            HubLog.BackplaneCleanupFailed(logger, "shutdown", ex.GetType().Name, ex.Message);
        }
    }

    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or OperationCanceledException;
}
