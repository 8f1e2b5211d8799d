namespace NotificationHub.Tests.Infrastructure;

/// <summary>Bounds for every await in the tests, so a hang fails fast instead of stalling CI.</summary>
public static class TestTimeouts
{
    /// <summary>Default bound for one awaited step.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Default"/>.</summary>
    public static Task<T> Bounded<T>(this Task<T> task) => task.WaitAsync(Default);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Default"/>.</summary>
    public static Task Bounded(this Task task) => task.WaitAsync(Default);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Default"/>.</summary>
    public static Task<T> Bounded<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Default);
}
