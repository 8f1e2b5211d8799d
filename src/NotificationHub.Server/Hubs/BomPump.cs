using Microsoft.AspNetCore.SignalR;
using NotificationHub.Bus;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Runs one BOM's <see cref="EnrichmentStream"/> for one hub connection through <see cref="StreamPump"/> (the loop SSE
/// uses too) into a <see cref="HubStreamSink"/>. It outlives the hub invocation that started it, and owns the stream.
/// No keepalive (SignalR pings) and no expiry or shutdown signal: SignalR closes the connection itself when its token
/// expires (<c>CloseOnAuthenticationExpiration</c>) and when the node stops, and clients resubscribe from their last ids.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The sink is disposed when the pump ends (RunAsync) or was never started (StopAsync).")]
internal sealed class BomPump
{
    private readonly string _connectionId;
    private readonly EnrichmentStream _stream;
    private readonly HubStreamSink _sink;
    private readonly StreamPump _pump;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop;
    private readonly Func<BomPump, Task> _onEnded;
    private readonly Lock _gate = new();
    private Task _run = Task.CompletedTask;
    private int _started;
    private bool _stopDisposed;

    public BomPump(HubConnectionContext connection, EnrichmentStream stream, StreamPump pump, ILogger logger,
        Func<BomPump, Task> onEnded, Action abortConnection)
    {
        _connectionId = connection.ConnectionId;
        _stream = stream;
        _sink = new HubStreamSink(connection, abortConnection);
        _pump = pump;
        _logger = logger;
        _onEnded = onEnded;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionAborted);
    }

    /// <summary>The BOM.</summary>
    public string BomId => _stream.BomId;

    /// <summary>Starts delivering.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _run = Task.Run(RunAsync);
        }
    }

    /// <summary>Stops delivering (nothing more is sent) and leaves the BOM.</summary>
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            // Never started: only the stream to release.
            await _stream.DisposeAsync();
            _sink.Dispose();
            DisposeStop();
            return;
        }

        lock (_gate)
        {
            if (!_stopDisposed)
            {
                _stop.Cancel();
            }
        }

        await _run;
        DisposeStop();
    }

    /// <summary>Disposes the token source once, whether the pump ended by itself or was stopped (whichever is last).</summary>
    private void DisposeStop()
    {
        lock (_gate)
        {
            if (!_stopDisposed)
            {
                _stopDisposed = true;
                _stop.Dispose();
            }
        }
    }

    private async Task RunAsync()
    {
        var cancel = _stop.Token;
        string reason;
        try
        {
            var (ended, _) = await _pump.RunAsync(_stream, _sink, keepAlive: false, DateTimeOffset.MaxValue, cancel, CancellationToken.None);
            reason = ended ?? "stopped";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HubLog.PumpFailed(_logger, ex, _connectionId, BomId);
            reason = "error";
        }
        finally
        {
            await _stream.DisposeAsync();
            _sink.Dispose();
        }

        HubLog.StreamEnded(_logger, _connectionId, BomId, reason);
        if (!cancel.IsCancellationRequested)
        {
            await _onEnded(this); // ended by itself: the BOM is no longer watched on this connection
        }

        DisposeStop();
    }
}
