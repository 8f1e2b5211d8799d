using System.Net;
using System.Text;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>One event as an EventSource would dispatch it.</summary>
public sealed record SseEvent(string? Id, string Event, string Data);

/// <summary>
/// A raw SSE reader over <see cref="HttpClient"/>: parses the byte stream by the WHATWG rules (fields, multi-line
/// data joined with LF, comments ignored, blank line dispatches), so tests see exactly what a browser would.
/// </summary>
public sealed class SseConnection : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader? _reader;

    private SseConnection(HttpResponseMessage response, StreamReader? reader)
    {
        _response = response;
        _reader = reader;
    }

    /// <summary>The response (status and headers).</summary>
    public HttpResponseMessage Response => _response;

    /// <summary>The status code.</summary>
    public HttpStatusCode StatusCode => _response.StatusCode;

    /// <summary>The last <c>retry:</c> value seen, in ms.</summary>
    public int? Retry { get; private set; }

    /// <summary>Opens a stream; does not throw on error statuses (tests assert them).</summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The stream's path and query.</param>
    /// <param name="lastEventId">Sent as <c>Last-Event-ID</c>.</param>
    /// <param name="version">The HTTP version to use, exactly (default: the request's, HTTP/1.1).</param>
    public static async Task<SseConnection> OpenAsync(HttpClient client, string path, string? lastEventId = null, Version? version = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (version is not null)
        {
            request.Version = version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Default);
        StreamReader? reader = null;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        }

        return new SseConnection(response, reader);
    }

    /// <summary>The next dispatched event, or null at end of stream.</summary>
    public async Task<SseEvent?> ReadEventAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Default);
        string? id = null;
        string eventName = "message";
        var data = new List<string>();
        while (true)
        {
            var line = await _reader!.ReadLineAsync(cts.Token);
            if (line is null)
            {
                return null;
            }

            if (line.Length == 0)
            {
                if (data.Count == 0)
                {
                    eventName = "message";
                    continue; // e.g. a block holding only retry:
                }

                return new SseEvent(id, eventName, string.Join('\n', data));
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "id": id = value; break;
                case "event": eventName = value; break;
                case "data": data.Add(value); break;
                case "retry": Retry = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
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
    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
