using Microsoft.Extensions.Options;
using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// The one loop that delivers a stream (one BOM's <see cref="EnrichmentStream"/> or a <see cref="MultiBomStream"/>) to
/// one client, whatever the transport: it owns the wake-ups, keepalives, token expiry, shutdown, the slow-consumer
/// cut-off and the <c>stream_end</c> reasons (one per BOM), and bounds the final write by
/// <see cref="StreamOptions.EndWriteTimeout"/>. The transport only writes
/// (<see cref="IStreamSink"/>). The model is Mercure's <c>subscribe.go</c> loop and centrifuge's transport-agnostic client.
/// </summary>
public sealed class StreamPump(IOptions<StreamOptions> options, TimeProvider time)
{
    /// <summary>
    /// Writes events as they come (and keepalives when due) until the stream ends, then <c>stream_end</c>; a client
    /// that does not take <c>stream_end</c> in time is aborted (<see cref="IStreamSink.Abort"/>). A BOM of several
    /// that ends gets its <c>stream_end</c> after its terminal event while the others go on; a stream-wide end
    /// (expiry, shutdown, slow consumer) writes one per BOM not yet ended.
    /// </summary>
    /// <param name="stream">The stream; the caller disposes it.</param>
    /// <param name="sink">The transport's writer.</param>
    /// <param name="keepAlive">True to write a keepalive every <see cref="StreamOptions.KeepAliveInterval"/>.</param>
    /// <param name="expiresAt">When the client's token expires (<c>token_expired</c>), or <see cref="DateTimeOffset.MaxValue"/>.</param>
    /// <param name="stopped">The client left or unsubscribed: the pump returns without writing anything more.</param>
    /// <param name="stopping">The node is draining (<c>server_shutdown</c>); <see cref="CancellationToken.None"/> when the transport closes its connections itself.</param>
    /// <returns>The <c>stream_end</c> reason (null when stopped) and whether <c>stream_end</c> reached the client.</returns>
    public async Task<(string? Reason, bool EndWritten)> RunAsync(IBusEventStream stream, IStreamSink sink, bool keepAlive,
        DateTimeOffset expiresAt, CancellationToken stopped, CancellationToken stopping)
    {
        string? reason = null;
        string? lastBom = null;
        IReadOnlyList<string> ending;

        // One loop in one state machine: an idle stream holds this frame for its whole life, so no second frame of
        // a helper method is suspended under it (docs/benchmarks.md, issue #15 item 2).
        using (var signals = new StreamSignals(stream, sink, time, keepAlive ? options.Value.KeepAliveInterval : null, expiresAt, stopped, stopping))
        {
            try
            {
                while (true)
                {
                    try
                    {
                        while (stream.TryRead(out var busEvent))
                        {
                            // Nothing of the event lives across the await: this state machine is an old object, and a
                            // field of it pointing at the young event would be one more dirty card per subscriber for
                            // every gen0 collection to scan (the cost the topic ring removes from the fan-out).
                            var terminal = busEvent.IsTerminal ? StreamEndReasons.ForTerminal(busEvent.EventType) : null;
                            var endedBom = terminal is null ? null : busEvent.BomId; // only strings cross the await
                            var streamEnded = stream.Ended;
                            await sink.WriteEventAsync(busEvent);
                            if (terminal is null)
                            {
                                continue;
                            }

                            if (streamEnded)
                            {
                                await sink.FlushAsync();
                                (reason, lastBom) = stopped.IsCancellationRequested ? (null, null) : (terminal, endedBom);
                                goto Ended;
                            }

                            // One BOM of several ended; the others go on.
                            await sink.WriteBomEndAsync(endedBom!, terminal);
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

                    reason = stopped.IsCancellationRequested ? null
                        : stream.CutOffToken.IsCancellationRequested ? StreamEndReasons.SlowConsumer // cut off while a write was blocked on a client that does not read
                        : stopping.IsCancellationRequested ? StreamEndReasons.ServerShutdown // draining: the client reconnects (elsewhere) with its last id
                        : signals.Expired ? StreamEndReasons.TokenExpired
                        : null;
                    if (reason is not null || stopped.IsCancellationRequested)
                    {
                        break;
                    }

                    await stream.WaitToReadAsync(CancellationToken.None); // woken by the signals; a cut-off throws here or in TryRead
                }

            Ended:
                ending = lastBom is null ? stream.OpenBomIds : [lastBom];
            }
            catch (SlowConsumerException)
            {
                reason = StreamEndReasons.SlowConsumer;
                ending = stream.OpenBomIds;
            }
        }

        if (reason is null || stopped.IsCancellationRequested)
        {
            return (null, false);
        }

        return (reason, await TryEndAsync(sink, ending, reason, stopped));
    }

    private async Task<bool> TryEndAsync(IStreamSink sink, IReadOnlyList<string> bomIds, string reason, CancellationToken stopped)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopped);
        timeout.CancelAfter(options.Value.EndWriteTimeout);
        bool written;
        try
        {
            written = await sink.WriteEndAsync(bomIds, reason, timeout.Token);
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
