using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>A hub filter that remembers every connection so a test can cut one off from the server side.</summary>
public sealed class ConnectionTracker : IHubFilter
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new();

    public Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        _connections[context.Context.ConnectionId] = context.Context;
        return next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        _connections.TryRemove(context.Context.ConnectionId, out _);
        return next(context, exception);
    }

    public void Abort(string connectionId)
    {
        Assert.True(_connections.TryGetValue(connectionId, out var connection), $"No connection {connectionId}");
        connection.Abort();
    }
}
