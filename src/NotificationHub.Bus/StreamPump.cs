using Microsoft.Extensions.Options;
using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// The one loop that delivers an <see cref="EnrichmentStream"/> to one client, whatever the transport: it owns the
/// wake-ups, keepalives, token expiry, shutdown, the slow-consumer cut-off and the <c>stream_end</c> reason, and
/// bounds the final write by <see cref="StreamOptions.EndWriteTimeout"/>. The transport only writes
/// (<see cref="IStreamSink"/>). The model is Mercure's <c>subscribe.go</c> loop and centrifuge's transport-agnostic client.
/// </summary>
public sealed class StreamPump(IOptions<StreamOptions> options, TimeProvider time)
{
    /// <summary>
    /// Writes events as they come (and keepalives when due) until the stream ends, then <c>stream_end</c>; a client
    /// that does not take <c>stream_end</c> in time is aborted (<see cref="IStreamSink.Abort"/>).
    /// </summary>
    /// <param name="stream">The stream; the caller disposes it.</param>
    /// <param name="sink">The transport's writer.</param>
    /// <param name="keepAlive">True to write a keepalive every <see cref="StreamOptions.KeepAliveInterval"/>.</param>
    /// <param name="expiresAt">When the client's token expires (<c>token_expired</c>), or <see cref="DateTimeOffset.MaxValue"/>.</param>
    /// <param name="stopped">The client left or unsubscribed: the pump returns without writing anything more.</param>
    /// <param name="stopping">The node is draining (<c>server_shutdown</c>); <see cref="CancellationToken.None"/> when the transport closes its connections itself.</param>
    /// <returns>The <c>stream_end</c> reason (null when stopped) and whether <c>stream_end</c> reached the client.</returns>
    public async Task<(string? Reason, bool EndWritten)> RunAsync(EnrichmentStream stream, IStreamSink sink, bool keepAlive,
        DateTimeOffset expiresAt, CancellationToken stopped, CancellationToken stopping)
    {
        string? reason;
        using (var signals = new StreamSignals(stream, sink, time, keepAlive ? options.Value.KeepAliveInterval : null, expiresAt, stopped, stopping))
        {
            try
            {
                reason = await PumpAsync(stream, sink, signals, stopped, stopping);
            }
            catch (SlowConsumerException)
            {
                reason = StreamEndReasons.SlowConsumer;
            }
        }

        if (reason is null || stopped.IsCancellationRequested)
        {
            return (null, false);
        }

        return (reason, await TryEndAsync(sink, reason, stopped));
    }

    /// <summary>Returns the <c>stream_end</c> reason, or null when stopped. Waits without a token: the signals wake it.</summary>
    private static async Task<string?> PumpAsync(EnrichmentStream stream, IStreamSink sink, StreamSignals signals,
        CancellationToken stopped, CancellationToken stopping)
    {
        while (true)
        {
            try
            {
                while (stream.TryRead(out var busEvent))
                {
                    // Nothing of the event lives across the await: this state machine is an old object, and a field
                    // of it pointing at the young event would be one more dirty card per subscriber for every gen0
                    // collection to scan (the cost the topic ring removes from the fan-out).
                    var endReason = stream.Ended ? StreamEndReasons.ForTerminal(busEvent.EventType) : null;
                    await sink.WriteEventAsync(busEvent);
                    if (endReason is not null)
                    {
                        await sink.FlushAsync();
                        return stopped.IsCancellationRequested ? null : endReason;
                    }
                }

                if (signals.TakeKeepAlive())
                {
                    sink.WriteKeepAlive();
                }

                await sink.FlushAsync();
            }
            catch (OperationCanceledException) when (signals.Interrupted)
            {
                // A write gave way to an interruption: why is looked at below.
            }

            if (stopped.IsCancellationRequested)
            {
                return null;
            }

            if (stream.CutOffToken.IsCancellationRequested)
            {
                return StreamEndReasons.SlowConsumer; // cut off while a write was blocked on a client that does not read
            }

            if (stopping.IsCancellationRequested)
            {
                return StreamEndReasons.ServerShutdown; // draining: the client reconnects (elsewhere) with its last id
            }

            if (signals.Expired)
            {
                return StreamEndReasons.TokenExpired;
            }

            await stream.WaitToReadAsync(CancellationToken.None); // woken by the signals; a cut-off throws here or in TryRead
        }
    }

    private async Task<bool> TryEndAsync(IStreamSink sink, string reason, CancellationToken stopped)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopped);
        timeout.CancelAfter(options.Value.EndWriteTimeout);
        bool written;
        try
        {
            written = await sink.WriteEndAsync(reason, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            written = false;
        }

        if (!written && !stopped.IsCancellationRequested)
        {
            sink.Abort(); // neither its connection nor its buffered bytes outlive the stream
        }

        return written;
    }
}
