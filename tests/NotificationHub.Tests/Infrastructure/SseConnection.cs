using System.Net;
using System.Net.ServerSentEvents;
using System.Text;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>One event as an EventSource would dispatch it.</summary>
public sealed record SseEvent(string? Id, string Event, string Data);

/// <summary>
/// A raw SSE reader over <see cref="HttpClient"/>: the byte stream parsed by .NET's WHATWG parser
/// (<see cref="SseParser"/>: fields, multi-line data joined with LF, comments ignored, blank line dispatches), so tests
/// see exactly what a browser would. <see cref="SseEvent.Id"/> is the event's own <c>id:</c> field (null without one).
/// </summary>
public sealed class SseConnection : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream? _stream;
    private readonly CancellationTokenSource _readTimeout = new();
    private IAsyncEnumerator<SseItem<string>>? _events;

    private SseConnection(HttpResponseMessage response, Stream? stream)
    {
        _response = response;
        _stream = stream;
    }

    /// <summary>The response (status and headers).</summary>
    public HttpResponseMessage Response => _response;

    /// <summary>The status code.</summary>
    public HttpStatusCode StatusCode => _response.StatusCode;

    /// <summary>The last <c>retry:</c> value seen, in ms.</summary>
    public int? Retry { get; private set; }

    /// <summary>Opens a stream; does not throw on error statuses (tests assert them).</summary>
    public static async Task<SseConnection> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Default);
        var stream = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStreamAsync() : null;
        return new SseConnection(response, stream);
    }

    /// <summary>The next dispatched event, or null at end of stream.</summary>
    /// <exception cref="OperationCanceledException">No event within <paramref name="timeout"/>.</exception>
    public async Task<SseEvent?> ReadEventAsync(TimeSpan? timeout = null)
    {
        _events ??= SseParser.Create(_stream!, static (_, data) => Encoding.UTF8.GetString(data))
            .EnumerateAsync(_readTimeout.Token).GetAsyncEnumerator();
        _readTimeout.CancelAfter(timeout ?? TestTimeouts.Default);
        if (!await _events.MoveNextAsync())
        {
            return null;
        }

        // Re-armed for the next read; a read that timed out leaves the parser cancelled, as the test fails anyway.
        _readTimeout.TryReset();
        var item = _events.Current;
        Retry = item.ReconnectionInterval is { } retry ? (int)retry.TotalMilliseconds : Retry;
        return new SseEvent(item.EventId, item.EventType, item.Data);
    }

    /// <summary>Reads events until (and including) one named <paramref name="eventName"/>.</summary>
    public async Task<List<SseEvent>> ReadUntilAsync(string eventName, TimeSpan? timeout = null)
    {
        var events = new List<SseEvent>();
        while (true)
        {
            var next = await ReadEventAsync(timeout) ?? throw new InvalidOperationException(
                $"The stream ended before '{eventName}'. Got: {string.Join(", ", events.Select(e => e.Event))}");
            events.Add(next);
            if (next.Event == eventName)
            {
                return events;
            }
        }
    }

    /// <summary>Reads to the end of the stream (the server closed it).</summary>
    public async Task<List<SseEvent>> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var events = new List<SseEvent>();
        while (await ReadEventAsync(timeout) is { } next)
        {
            events.Add(next);
        }

        return events;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_events is not null)
        {
            await _events.DisposeAsync();
        }

        _stream?.Dispose();
        _response.Dispose();
        _readTimeout.Dispose();
    }
}
