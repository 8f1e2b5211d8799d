using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using NotificationHub.Contracts;

namespace NotificationHub.Client;

/// <summary>
/// SSE mode: reads <c>GET /api/enrichment/stream/{bom_id}</c> as EventSource would and produces the same messages as
/// the hub (keepalives dropped). A stream that drops, or ends for a reason other than the run's end, is reopened
/// with <c>Last-Event-ID</c>.
/// </summary>
internal sealed class SseWatcher(EnrichmentClientOptions options) : IDisposable
{
    private readonly HttpClient _http = new(options.HttpMessageHandlerFactory?.Invoke() ?? new SocketsHttpHandler())
    {
        BaseAddress = options.BaseAddress,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async IAsyncEnumerable<EnrichmentEventMessage> WatchAsync(
        string bomId, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            var (stream, response, error) = await OpenAsync(bomId, lastEventId, cancellationToken);
            if (response?.StatusCode == HttpStatusCode.NoContent)
            {
                response.Dispose();
                yield break; // the client already has the terminal event
            }

            if (stream is not null)
            {
                using (response)
                await using (stream)
                {
                    // .NET's WHATWG parser: fields, multi-line data joined with LF, comments ignored, blank line dispatches.
                    await using var events = SseParser.Create(stream, static (_, data) => ParseData(data))
                        .EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                    while (true)
                    {
                        try
                        {
                            if (!await events.MoveNextAsync())
                            {
                                break;
                            }
                        }
                        catch (Exception ex) when (ex is IOException or HttpRequestException)
                        {
                            error = ex;
                            break;
                        }

                        var message = new EnrichmentEventMessage(events.Current.EventType, events.Current.EventId, events.Current.Data);

                        if (message.Event == EnrichmentEventNames.KeepAlive)
                        {
                            continue;
                        }

                        failures = message.IsBusEvent ? 0 : failures;
                        if (message.Id is not null)
                        {
                            lastEventId = message.Id;
                        }

                        yield return message;
                        if (message.IsStreamEnd && message.AsStreamEnd()?.Reason is StreamEndReasons.Completed or StreamEndReasons.Failed)
                        {
                            yield break;
                        }
                    }
                }
            }

            if (++failures > options.SseMaxRetries)
            {
                throw new EnrichmentClientException($"The SSE stream of BOM '{bomId}' could not be kept open.", error ?? new IOException("Stream ended."));
            }

            await Task.Delay(options.SseRetryDelay, cancellationToken);
        }
    }

    private async Task<(Stream? Stream, HttpResponseMessage? Response, Exception? Error)> OpenAsync(
        string bomId, string? lastEventId, CancellationToken cancellationToken)
    {
        var token = await options.TokenProvider(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/enrichment/stream/{Uri.EscapeDataString(bomId)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return (null, null, ex);
        }

        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return (null, response, null);
        }

        if ((int)response.StatusCode is >= 400 and < 500)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new EnrichmentClientException(Describe(status, body)) { StatusCode = status };
        }

        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            response.Dispose();
            return (null, null, new HttpRequestException($"The SSE endpoint answered {(int)status}."));
        }

        return (await response.Content.ReadAsStreamAsync(cancellationToken), response, null);
    }

    private static string Describe(int status, string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.TryGetProperty("title", out var title))
            {
                return problem.RootElement.TryGetProperty("detail", out var detail)
                    ? $"{title.GetString()}: {detail.GetString()}"
                    : title.GetString() ?? $"HTTP {status}";
            }
        }
        catch (JsonException)
        {
        }

        return $"HTTP {status}";
    }

    private static JsonElement ParseData(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        return JsonElement.ParseValue(ref reader);
    }

    public void Dispose() => _http.Dispose();
}
