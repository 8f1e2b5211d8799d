using System.Collections.Concurrent;
using System.Diagnostics;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// <c>NotificationHub.Worker</c> as its own OS process, with its log lines kept so tests can await what it did
/// (which jobs it ran or took over) and a real kill.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _newLine = new(0);

    private WorkerProcess(IDictionary<string, string?> settings)
    {
        _process = DotnetProcess.Start("NotificationHub.Worker.dll", settings, line =>
        {
            _lines.Enqueue(line);
            _newLine.Release();
        });
    }

    /// <summary>Everything the worker logged so far.</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>True once the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts a worker and waits until its host runs.</summary>
    public static async Task<WorkerProcess> StartAsync(IDictionary<string, string?> settings)
    {
        var worker = new WorkerProcess(settings);
        await worker.WaitForLineAsync("Application started", TimeSpan.FromSeconds(30));
        return worker;
    }

    /// <summary>True when some log line contains every one of <paramref name="parts"/>.</summary>
    public bool Logged(params string[] parts) => _lines.Any(line => parts.All(p => line.Contains(p, StringComparison.Ordinal)));

    /// <summary>Waits until a log line contains <paramref name="text"/>.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Logged(text))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The worker exited ({_process.ExitCode}): {string.Join('\n', _lines)}");
            }

            try
            {
                await _newLine.WaitAsync(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The worker did not log '{text}' within {timeout}: {string.Join('\n', _lines)}");
            }
        }
    }

    /// <summary>Kills the worker outright (SIGKILL): no shutdown, no give-back.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
    }

    /// <summary>Asks the worker to stop (SIGTERM, as an orchestrator does) and waits until it exits.</summary>
    public async Task TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
        _newLine.Dispose();
    }
}
