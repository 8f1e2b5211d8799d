using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// An OTLP/HTTP trace receiver on a loopback port (<c>POST /v1/traces</c>, protobuf, as the hubs' exporter sends with
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>) that decodes the spans it gets. The decoder reads just the
/// fields <see cref="OtlpSpan"/> holds from <c>ExportTraceServiceRequest</c> (opentelemetry-proto's trace.proto) and
/// skips every other field by its wire type.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly ConcurrentQueue<string> _bodies = new();

    private OtlpTraceReceiver(WebApplication app, string endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Every export request's body so far, as text (protobuf keeps strings as UTF-8), for plain text checks.</summary>
    public IReadOnlyCollection<string> Bodies => _bodies;

    /// <summary>Every span received so far.</summary>
    public IReadOnlyCollection<OtlpSpan> Spans => _spans;

    /// <summary>Starts the receiver on a free loopback port.</summary>
    public static async Task<OtlpTraceReceiver> StartAsync()
    {
        var port = RedisServerFixture.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new OtlpTraceReceiver(app, $"http://127.0.0.1:{port}");
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver._bodies.Enqueue(System.Text.Encoding.UTF8.GetString(body.ToArray()));
            foreach (var span in Decode(body.ToArray()))
            {
                receiver._spans.Enqueue(span);
            }

            return Results.Ok();
        });
        await app.StartAsync().Bounded();
        return receiver;
    }

    /// <summary>Waits until a span matching <paramref name="match"/> was received (at most <see cref="TestTimeouts.Default"/>).</summary>
    public async Task<OtlpSpan> WaitForAsync(Func<OtlpSpan, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (true)
        {
            if (_spans.FirstOrDefault(match) is { } span)
            {
                return span;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"No {what} exported within {TestTimeouts.Default}; got: {string.Join("; ", _spans.Select(s => $"{s.ServiceName} {s.Name}"))}");
            await Task.Delay(50); // the exporter posts in batches; no event to await in this process
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().Bounded();
        await _app.DisposeAsync();
    }

    /// <summary>The spans of an <c>ExportTraceServiceRequest</c>.</summary>
    public static List<OtlpSpan> Decode(ReadOnlyMemory<byte> request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Messages(request))
        {
            if (field != 1)
            {
                continue;
            }

            var service = "";
            foreach (var (rsField, rsValue) in Messages(resourceSpans))
            {
                if (rsField == 1) // Resource
                {
                    foreach (var (resourceField, attribute) in Messages(rsValue))
                    {
                        if (resourceField == 1 && KeyValue(attribute) is ("service.name", var name))
                        {
                            service = name;
                        }
                    }
                }
            }

            foreach (var (rsField, scopeSpans) in Messages(resourceSpans))
            {
                if (rsField != 2)
                {
                    continue;
                }

                foreach (var (ssField, span) in Messages(scopeSpans))
                {
                    if (ssField == 2)
                    {
                        spans.Add(Span(service, span));
                    }
                }
            }
        }

        return spans;
    }

    private static OtlpSpan Span(string service, ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parentSpanId = "", name = "";
        var kind = 0;
        var attributes = new Dictionary<string, string>();
        var links = new List<OtlpLink>();
        foreach (var (field, wireType, number, bytes) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(bytes.Span); break;
                case 2: spanId = Convert.ToHexStringLower(bytes.Span); break;
                case 4: parentSpanId = Convert.ToHexStringLower(bytes.Span); break;
                case 5: name = System.Text.Encoding.UTF8.GetString(bytes.Span); break;
                case 6 when wireType == 0: kind = (int)number; break;
                case 9 when KeyValue(bytes) is var (key, value): attributes[key] = value; break;
                case 13:
                    string linkTrace = "", linkSpan = "";
                    foreach (var (linkField, _, _, linkBytes) in Fields(bytes))
                    {
                        if (linkField == 1)
                        {
                            linkTrace = Convert.ToHexStringLower(linkBytes.Span);
                        }
                        else if (linkField == 2)
                        {
                            linkSpan = Convert.ToHexStringLower(linkBytes.Span);
                        }
                    }

                    links.Add(new OtlpLink(linkTrace, linkSpan));
                    break;
            }
        }

        return new OtlpSpan(service, name, kind, traceId, spanId, parentSpanId, attributes, links);
    }

    /// <summary>A <c>KeyValue</c> whose value is a string or an integer, as text; null for other values.</summary>
    private static (string Key, string Value)? KeyValue(ReadOnlyMemory<byte> keyValue)
    {
        string? key = null, value = null;
        foreach (var (field, _, _, bytes) in Fields(keyValue))
        {
            if (field == 1)
            {
                key = System.Text.Encoding.UTF8.GetString(bytes.Span);
            }
            else if (field == 2) // AnyValue
            {
                foreach (var (valueField, wireType, number, valueBytes) in Fields(bytes))
                {
                    value = valueField switch
                    {
                        1 => System.Text.Encoding.UTF8.GetString(valueBytes.Span),
                        3 when wireType == 0 => ((long)number).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => value,
                    };
                }
            }
        }

        return key is null || value is null ? null : (key, value);
    }

    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Bytes)> Messages(ReadOnlyMemory<byte> message) =>
        Fields(message).Where(f => f.WireType == 2).Select(f => (f.Field, f.Bytes));

    /// <summary>The fields of a protobuf message: varints as <c>Number</c>, length-delimited ones as <c>Bytes</c>.</summary>
    private static IEnumerable<(int Field, int WireType, ulong Number, ReadOnlyMemory<byte> Bytes)> Fields(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var tag = Varint(message.Span, ref position);
            var (field, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            switch (wireType)
            {
                case 0:
                    yield return (field, wireType, Varint(message.Span, ref position), default);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref position);
                    yield return (field, wireType, 0, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unexpected protobuf wire type {wireType}.");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
