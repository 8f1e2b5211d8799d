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

    /// <summary>Cuts the connection's HTTP connection abruptly, like a network failure (the client may reconnect).</summary>
    public void Drop(string connectionId)
    {
        Assert.True(_connections.TryGetValue(connectionId, out var connection), $"No connection {connectionId}");
        var http = connection.GetHttpContext();
        Assert.NotNull(http);
        http.Abort();
    }

    /// <summary>Closes the connection from the server (a clean close: the client does not reconnect).</summary>
    public void Abort(string connectionId)
    {
        Assert.True(_connections.TryGetValue(connectionId, out var connection), $"No connection {connectionId}");
        connection.Abort();
    }
}
