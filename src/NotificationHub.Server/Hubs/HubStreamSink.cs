using Microsoft.AspNetCore.SignalR;
using NotificationHub.Bus;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Writes one BOM's stream to one hub connection as <c>EnrichmentEvent</c> invocations: the
/// <see cref="SerializedHubMessage"/>s shared by every connection (see <see cref="SerializedHubEvents"/>), straight to
/// the connection's <see cref="HubConnectionContext"/>. Every write is sent at once (SignalR flushes per message).
/// </summary>
/// <remarks>
/// An interruption cancels the pending send; SignalR then aborts the connection itself (without a close message, so
/// clients reconnect), which is what a send blocked on a client that stopped reading deserves.
/// </remarks>
internal sealed class HubStreamSink(HubConnectionContext connection, Action abortConnection) : IStreamSink, IDisposable
{
    private readonly CancellationTokenSource _interrupt = new();

    public ValueTask WriteEventAsync(BusEvent busEvent) => connection.WriteAsync(SerializedHubEvents.Get(busEvent), _interrupt.Token);

    public void WriteKeepAlive()
    {
        // Never asked for: SignalR's own ping keeps the connection alive.
    }

    public ValueTask FlushAsync() => ValueTask.CompletedTask;

    public ValueTask WriteBomEndAsync(string bomId, string reason) =>
        connection.WriteAsync(SerializedHubEvents.StreamEnd(bomId, reason), _interrupt.Token);

    public async ValueTask<bool> WriteEndAsync(IReadOnlyList<string> bomIds, string reason, CancellationToken cancellationToken)
    {
        foreach (var bomId in bomIds)
        {
            await connection.WriteAsync(SerializedHubEvents.StreamEnd(bomId, reason), cancellationToken);
        }

        return true;
    }

    public void Interrupt() => _interrupt.Cancel();

    public void Abort() => abortConnection();

    /// <summary>After the pump returned (its signals, which call <see cref="Interrupt"/>, are gone by then).</summary>
    public void Dispose() => _interrupt.Dispose();
}
