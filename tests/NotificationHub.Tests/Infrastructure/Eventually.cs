using System.Diagnostics;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>Waiting for a condition that no event announces (a process's state, a counter), always bounded.</summary>
public static class Eventually
{
    /// <summary>
    /// Polls <paramref name="condition"/> every 20 ms until it holds; fails the test naming <paramref name="what"/> once
    /// <paramref name="timeout"/> (default <see cref="TestTimeouts.Default"/>) has passed.
    /// </summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(elapsed.Elapsed < (timeout ?? TestTimeouts.Default), $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>As <see cref="WaitUntilAsync(Func{bool}, string, TimeSpan?)"/>, for a condition that has to ask (a scrape, a request).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TestTimeouts.Default;
        var elapsed = Stopwatch.StartNew();
        while (!await condition().WaitAsync(limit))
        {
            Assert.True(elapsed.Elapsed < limit, $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }
}
