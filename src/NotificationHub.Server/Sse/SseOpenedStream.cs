using System.Threading.RateLimiting;
using NotificationHub.Bus;

namespace NotificationHub.Server.Sse;

/// <summary>
/// A stream the endpoint opened (the connection limits' lease taken, the bus stream open, the response head and
/// <c>connected</c> written), handed over to <see cref="SseHandler.ServeAsync"/> as a request feature: the endpoint
/// runs inside the request pipeline, the stream is served after the pipeline returned, so no middleware frame is
/// suspended under an idle stream (docs/benchmarks.md, "Streams authenticated in their handler").
/// </summary>
/// <remarks>Owns the stream and the lease from its creation: disposing it closes the one and releases the other.</remarks>
internal sealed class SseOpenedStream(IBusEventStream stream, RateLimitLease lease, SseStreamSink sink,
    DateTimeOffset expiresAt, string bomIds) : IAsyncDisposable
{
    /// <summary>The bus stream (one BOM's, or a multi-BOM stream).</summary>
    public IBusEventStream Stream => stream;

    /// <summary>The response's writer.</summary>
    public SseStreamSink Sink => sink;

    /// <summary>When the caller's token expires (<c>token_expired</c>), read before the request's principal is let go.</summary>
    public DateTimeOffset ExpiresAt => expiresAt;

    /// <summary>The stream's BOM ids, comma-separated, for the log.</summary>
    public string BomIds => bomIds;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using (lease)
        {
            await stream.DisposeAsync();
        }
    }
}
