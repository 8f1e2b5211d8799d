using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Hosting;

/// <summary>
/// The host's lifetime in place of <c>ConsoleLifetime</c>: a stop signal (SIGTERM, SIGINT, SIGQUIT) first turns
/// readiness off (<see cref="DrainState"/>) and only after <see cref="ShutdownOptions.DrainDelay"/> stops the
/// application. <c>ConsoleLifetime</c> stops it at once, and <c>ApplicationStopping</c> is what ends SSE streams
/// (<c>server_shutdown</c>), closes SignalR connections and stops Kestrel listening: doing that before the load
/// balancers have taken the node out refuses the clients they still send. A second signal stops at once.
/// </summary>
public sealed partial class DrainingLifetime(
    IHostApplicationLifetime lifetime,
    IHostEnvironment environment,
    DrainState drain,
    IOptions<ShutdownOptions> options,
    TimeProvider time,
    ILogger<DrainingLifetime> logger) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _signals = [];
    private ITimer? _delay;

    /// <inheritdoc />
    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }

        // What ConsoleLifetime said at start, which a developer running the server looks for.
        lifetime.ApplicationStarted.Register(() => HostingLog.Started(logger, environment.EnvironmentName, options.Value.DrainDelay.TotalSeconds));

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // the host stops the process itself, after the drain
        var delay = options.Value.DrainDelay;
        if (!drain.Begin() || delay <= TimeSpan.Zero)
        {
            HostingLog.Stopping(logger, context.Signal.ToString());
            lifetime.StopApplication();
            return;
        }

        HostingLog.Draining(logger, context.Signal.ToString(), delay.TotalSeconds);
        _delay = time.CreateTimer(_ =>
        {
            HostingLog.Stopping(logger, "drain delay passed");
            lifetime.StopApplication();
        }, null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _delay?.Dispose();
    }
}
