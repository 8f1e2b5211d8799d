using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Delivers one BOM's <see cref="EnrichmentStream"/> to one connection: every event as <c>EnrichmentEvent</c>, then
/// <c>stream_end</c>. It outlives the hub invocation that started it. Events are written as
/// <see cref="SerializedHubMessage"/>s shared by all connections (serialized once per protocol, see
/// <see cref="SerializedHubEvents"/>) straight to the connection's <see cref="HubConnectionContext"/>; when the node
/// does not know the context it falls back to <see cref="IHubContext{THub}"/>. It owns the stream and disposes it when it stops.
/// </summary>
internal sealed class BomPump
{
    private static readonly TimeSpan StreamEndSendTimeout = TimeSpan.FromSeconds(5);

    private readonly string _connectionId;
    private readonly EnrichmentStream _stream;
    private readonly IHubContext<EnrichmentHub> _hub;
    private readonly HubConnectionContext? _connection;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop;
    private readonly Action<BomPump> _onEnded;
    private readonly Action _abortConnection;
    private readonly Lock _gate = new();
    private Task _run = Task.CompletedTask;
    private int _started;
    private bool _stopDisposed;

    public BomPump(string connectionId, EnrichmentStream stream, IHubContext<EnrichmentHub> hub, HubConnectionContext? connection,
        ILogger logger, Action<BomPump> onEnded, Action abortConnection, CancellationToken connectionAborted)
    {
        _abortConnection = abortConnection;
        _connectionId = connectionId;
        _stream = stream;
        _hub = hub;
        _connection = connection;
        _logger = logger;
        _onEnded = onEnded;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(connectionAborted);
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

    private async Task<bool> TrySendEndAsync(IClientProxy client, string reason, CancellationToken cancel)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        end.CancelAfter(StreamEndSendTimeout);
        try
        {
            await SendAsync(client, SerializedHubEvents.StreamEnd(BomId, reason), end.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return false;
        }
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
        var client = _hub.Clients.Client(_connectionId);
        string reason = "stopped";
        var ended = false;

        // A send blocked on a client that stopped reading is abandoned when the bus cuts the subscriber off, and
        // the connection is aborted: the client reconnects and resubscribes from its last ids.
        var blocked = false;
        using var send = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stream.CutOffToken);

        // The waits take no token: a bounded channel allocates a waiter (with its token registration) for every wait
        // with a cancellable token, i.e. about once per delivery, while a wait without one reuses the channel's
        // single waiter. Stopping wakes the wait instead (registered once per pump), and the loop then looks at the
        // token; a cut-off completes the queue, which ends the wait by itself.
        using var wakeOnStop = cancel.UnsafeRegister(static stream => ((EnrichmentStream)stream!).Wake(), _stream);
        try
        {
            try
            {
                while (!ended)
                {
                    // Not redundant with the check after the wait: the stop's single wake-up may already have been
                    // taken (and skipped) by TryRead below, and then no other wake-up would end the next wait.
                    cancel.ThrowIfCancellationRequested();
                    if (!await _stream.WaitToReadAsync(CancellationToken.None))
                    {
                        break;
                    }

                    cancel.ThrowIfCancellationRequested(); // woken by StopAsync: nothing more is sent
                    while (_stream.TryRead(out var busEvent))
                    {
                        await SendAsync(client, SerializedHubEvents.Get(busEvent), send.Token);
                        if (_stream.Ended)
                        {
                            reason = StreamEndReasons.ForTerminal(busEvent.EventType);
                            ended = true;
                            break;
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is SlowConsumerException ||
                (ex is OperationCanceledException && _stream.CutOffToken.IsCancellationRequested && !cancel.IsCancellationRequested))
            {
                reason = StreamEndReasons.SlowConsumer;
                ended = true;
                blocked = ex is OperationCanceledException;
            }

            if (blocked)
            {
                // Its send was stuck: a stream_end would queue behind it, so the connection goes now.
                _abortConnection();
            }
            else if (ended && !await TrySendEndAsync(client, reason, cancel))
            {
                _abortConnection(); // a client too slow to take even stream_end
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            ended = false; // unsubscribed or disconnected: nothing more to send
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HubLog.PumpFailed(_logger, ex, _connectionId, BomId);
            reason = "error";
        }
        finally
        {
            await _stream.DisposeAsync();
        }

        HubLog.StreamEnded(_logger, _connectionId, BomId, reason);
        if (!cancel.IsCancellationRequested)
        {
            // Ended by itself: the BOM is no longer watched on this connection.
            _onEnded(this);
            try
            {
                await _hub.Groups.RemoveFromGroupAsync(_connectionId, EnrichmentHub.GroupName(BomId), CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                HubLog.PumpFailed(_logger, ex, _connectionId, BomId);
            }
        }

        DisposeStop();
    }

    private ValueTask SendAsync(IClientProxy client, SerializedHubMessage message, CancellationToken cancel) =>
        _connection is { } connection
            ? connection.WriteAsync(message, cancel)
            : new ValueTask(client.SendCoreAsync(EnrichmentHub.EventMethod, ((InvocationMessage)message.Message!).Arguments, cancel));
}
