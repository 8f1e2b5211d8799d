using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// The one rule for which Redis failures are transient: the bus backend and the job queue both use it, so a
/// condition that a failover or a stall produces is a retry (or a 503) everywhere, never a crash somewhere.
/// </summary>
/// <remarks>
/// Transient: the connection failed or is not established; a command timed out (the library throws
/// <see cref="RedisTimeoutException"/>, a <see cref="TimeoutException"/>; <c>WaitAsync</c> throws the base type); or
/// the server answered with an error that a cluster in transition, a failover, a replica, a loading node or a busy
/// script gives (<see cref="TransientServerErrorPrefixes"/>). Any other server error (a script bug, a wrong type,
/// <c>NOSCRIPT</c> after the library's own retry) is a real failure and is not hidden.
/// </remarks>
public static class RedisTransientErrors
{
    /// <summary>Error prefixes (the first word of the reply) of server errors that go away by themselves.</summary>
    public static IReadOnlyList<string> TransientServerErrorPrefixes { get; } =
    [
        "CLUSTERDOWN", "TRYAGAIN", "READONLY", "MASTERDOWN", "LOADING", "MOVED", "ASK", "NOREPLICAS", "BUSY",
    ];

    /// <summary>True when <paramref name="exception"/> is a Redis condition to back off from and retry.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RedisConnectionException or TimeoutException => true, // RedisTimeoutException is a TimeoutException
        RedisServerException server => HasTransientPrefix(server.Message),
        _ => false,
    };

    /// <summary>True when a server error message starts with one of <see cref="TransientServerErrorPrefixes"/> as a whole word.</summary>
    public static bool HasTransientPrefix(string message)
    {
        ArgumentNullException.ThrowIfNull(message);

        // The library may prefix the reply with "ERR " for scripts ("ERR Error running script ... -READONLY ...").
        // Only the reply's first word counts: "BUSYGROUP" or "BUSYKEY" are not "BUSY".
        var word = message.AsSpan();
        var end = word.IndexOfAny(' ', '\n');
        word = end < 0 ? word : word[..end];
        foreach (var prefix in TransientServerErrorPrefixes)
        {
            if (word.SequenceEqual(prefix))
            {
                return true;
            }
        }

        return false;
    }
}
