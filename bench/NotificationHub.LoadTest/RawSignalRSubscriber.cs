using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace NotificationHub.LoadTest;

/// <summary>
/// One SignalR connection watching one BOM, speaking the hub protocol itself over a <see cref="ClientWebSocket"/>
/// (<c>--signalr-client raw</c>, the default): WebSockets without negotiation, the token as <c>access_token</c>, the
/// JSON or MessagePack handshake, one <c>SubscribeBom</c> invocation, then every <c>EnrichmentEvent</c> invocation read
/// in place (Utf8JsonReader / MessagePackReader over one reused receive buffer, no allocation per message) for the
/// marker in <c>data.payload</c>, like <see cref="SseSubscriber"/> on the SSE side, so that SignalR and SSE rows cost
/// the load client alike. Spec: aspnetcore src/SignalR/docs/specs/HubProtocol.md and TransportProtocols.md.
/// </summary>
internal sealed class RawSignalRSubscriber : ISignalRSubscriber
{
    /// <summary>The server drops a client silent for ClientTimeoutInterval (30 s by default): send a ping well before.</summary>
    private static readonly TimeSpan PingPeriod = TimeSpan.FromSeconds(10);

    private const byte RecordSeparator = 0x1E;
    private const int InvocationType = 1;
    private const int CompletionType = 3;
    private const int PingType = 6;
    private const int CloseType = 7;
    private const string SubscribeInvocationId = "0";

    private readonly DeliveryStats _stats;
    private readonly Uri _url;
    private readonly bool _messagePack;
    private readonly HttpMessageInvoker? _invoker;
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _lifetime;
    private readonly TaskCompletionSource _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string?> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private bool _handshakeDone;
    private long _lastSeq;
    private long _lastSendTicks;
    private int _pinging;
    private Timer? _pinger;
    private Task _loop = Task.CompletedTask;

    /// <param name="stats">Where deliveries and errors are counted.</param>
    /// <param name="hubUrl">The hub's http:// URL (ws:// is derived).</param>
    /// <param name="token">The subscriber's JWT, sent as the <c>access_token</c> query parameter.</param>
    /// <param name="messagePack">MessagePack (binary frames) or JSON (text frames).</param>
    /// <param name="invoker">A handler binding the socket to a source address, or null.</param>
    /// <param name="lifetime">Stops reading (quietly) when cancelled.</param>
    public RawSignalRSubscriber(DeliveryStats stats, Uri hubUrl, string token, bool messagePack, HttpMessageInvoker? invoker, CancellationToken lifetime)
    {
        _stats = stats;
        _messagePack = messagePack;
        _invoker = invoker;
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        _url = new UriBuilder(hubUrl)
        {
            Scheme = hubUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Query = "access_token=" + Uri.EscapeDataString(token),
        }.Uri;
    }

    public long LastSeq => Interlocked.Read(ref _lastSeq);

    private WebSocketMessageType FrameType => _messagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text;

    /// <inheritdoc />
    public async Task<bool> StartAsync(string bomId, CancellationToken cancel)
    {
        try
        {
            if (_invoker is not null)
            {
                await _socket.ConnectAsync(_url, _invoker, cancel);
            }
            else
            {
                await _socket.ConnectAsync(_url, cancel);
            }

            _loop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
            var handshake = Encoding.UTF8.GetBytes($"{{\"protocol\":\"{(_messagePack ? "messagepack" : "json")}\",\"version\":1}}\u001e");
            await SendAsync(handshake, cancel);
            await _handshake.Task.WaitAsync(cancel);
            await SendAsync(SubscribeMessage(bomId, _messagePack), cancel);
            if (await _subscribed.Task.WaitAsync(cancel) is { } error)
            {
                _stats.ConnectFailed("SignalR (raw): " + error);
                return false;
            }

            var due = TimeSpan.FromMilliseconds(Random.Shared.Next((int)PingPeriod.TotalMilliseconds)); // spread the pings
            _pinger = new Timer(static s => ((RawSignalRSubscriber)s!).PingIfIdle(), this, due, PingPeriod);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
        {
            _stats.ConnectFailed("SignalR (raw): " + ex.Message);
            return false;
        }
    }

    /// <summary>The <c>SubscribeBom(bomId, null)</c> invocation, framed for the protocol.</summary>
    internal static byte[] SubscribeMessage(string bomId, bool messagePack)
    {
        if (!messagePack)
        {
            return Encoding.UTF8.GetBytes(
                $"{{\"type\":1,\"invocationId\":\"{SubscribeInvocationId}\",\"target\":\"SubscribeBom\",\"arguments\":[\"{JsonEncodedText.Encode(bomId)}\",null]}}\u001e");
        }

        // [1, Headers, InvocationId, Target, [Arguments], [StreamIds]]
        var body = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(body);
        writer.WriteArrayHeader(6);
        writer.Write(InvocationType);
        writer.WriteMapHeader(0);
        writer.Write(SubscribeInvocationId);
        writer.Write("SubscribeBom");
        writer.WriteArrayHeader(2);
        writer.Write(bomId);
        writer.WriteNil();
        writer.WriteArrayHeader(0);
        writer.Flush();
        return WithLengthPrefix(body.WrittenSpan);
    }

    /// <summary>A MessagePack message behind its VarInt length (7 bits a byte, least significant first).</summary>
    internal static byte[] WithLengthPrefix(ReadOnlySpan<byte> body)
    {
        var prefix = new byte[5];
        var n = 0;
        var length = (uint)body.Length;
        do
        {
            var b = (byte)(length & 0x7F);
            length >>= 7;
            prefix[n++] = length > 0 ? (byte)(b | 0x80) : b;
        }
        while (length > 0);

        return [.. prefix.AsSpan(0, n), .. body];
    }

    private static ReadOnlySpan<byte> JsonPing => "{\"type\":6}\u001e"u8;

    private static ReadOnlySpan<byte> MessagePackPing => [0x02, 0x91, 0x06];

    private static ReadOnlySpan<byte> EventMethod => "EnrichmentEvent"u8;

    private static readonly byte[] JsonPingBytes = JsonPing.ToArray();

    private static readonly byte[] MessagePackPingBytes = MessagePackPing.ToArray();

    private void PingIfIdle()
    {
        if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastSendTicks)) < PingPeriod / 2 || _socket.State != WebSocketState.Open
            || Interlocked.Exchange(ref _pinging, 1) == 1)
        {
            return;
        }

        _ = PingAsync();
    }

    private async Task PingAsync()
    {
        try
        {
            await SendAsync(_messagePack ? MessagePackPingBytes : JsonPingBytes, _lifetime.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // the receive loop reports a broken connection
        }
        finally
        {
            Volatile.Write(ref _pinging, 0);
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancel)
    {
        // One send at a time: the handshake and the invocation are sent before the pinger starts, and pings never overlap.
        Interlocked.Exchange(ref _lastSendTicks, Stopwatch.GetTimestamp());
        await _socket.SendAsync(message, FrameType, endOfMessage: true, cancel);
    }

    private async Task ReceiveLoopAsync()
    {
        var cancel = _lifetime.Token;
        try
        {
            while (true)
            {
                MakeRoom();
                var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), cancel);
                if (read.MessageType == WebSocketMessageType.Close)
                {
                    Fail("the server closed the WebSocket" + (_socket.CloseStatusDescription is { Length: > 0 } d ? ": " + d : ""));
                    break;
                }

                _end += read.Count;
                if (!Parse())
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        catch (WebSocketException ex)
        {
            if (!cancel.IsCancellationRequested)
            {
                Fail("WebSocket: " + ex.Message);
            }
        }
        finally
        {
            _handshake.TrySetResult(); // StartAsync then finds _subscribed failed
            _subscribed.TrySetResult("the connection closed before SubscribeBom completed");
        }
    }

    /// <summary>Counts a broken connection: a connect error before the subscription completed, a stream error after.</summary>
    private void Fail(string message)
    {
        if (!_subscribed.TrySetResult(message))
        {
            _stats.StreamFailed("SignalR (raw): " + message);
        }
    }

    private void MakeRoom()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_buffer.Length - _end >= 1024)
        {
            return;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_buffer.Length - _end < 1024)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2); // a message larger than the buffer (rare: snapshots)
        }
    }

    /// <summary>Feeds received bytes (however they were split into frames) to the parser; for tests.</summary>
    internal bool Feed(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            MakeRoom();
            var n = Math.Min(data.Length, _buffer.Length - _end);
            data[..n].CopyTo(_buffer.AsSpan(_end));
            _end += n;
            data = data[n..];
            if (!Parse())
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Handles every complete message in the buffer; false when the connection is over (close, handshake error).</summary>
    private bool Parse()
    {
        if (!_handshakeDone)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf(RecordSeparator);
            if (end < 0)
            {
                return true;
            }

            // {} or {"error":"..."}: the handshake response is JSON whatever the protocol.
            var response = _buffer.AsSpan(_start, end);
            _start += end + 1;
            if (response.IndexOf("\"error\""u8) >= 0)
            {
                Fail("handshake refused: " + Encoding.UTF8.GetString(response));
                return false;
            }

            _handshakeDone = true;
            _handshake.TrySetResult();
        }

        while (_start < _end)
        {
            int length, skip;
            if (_messagePack)
            {
                if (!TryReadVarInt(_buffer.AsSpan(_start, _end - _start), out length, out skip) || _end - _start - skip < length)
                {
                    return true;
                }
            }
            else
            {
                length = _buffer.AsSpan(_start, _end - _start).IndexOf(RecordSeparator);
                if (length < 0)
                {
                    return true;
                }

                skip = 0;
            }

            var message = _buffer.AsMemory(_start + skip, length);
            _start += skip + length + (_messagePack ? 0 : 1);
            try
            {
                if (!(_messagePack ? HandleMessagePack(message) : HandleJson(message.Span)))
                {
                    return false;
                }
            }
            catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or JsonException or InvalidOperationException)
            {
                Fail("unreadable message: " + ex.Message);
                return false;
            }
        }

        return true;
    }

    private static bool TryReadVarInt(ReadOnlySpan<byte> data, out int value, out int bytes)
    {
        value = 0;
        for (bytes = 0; bytes < Math.Min(5, data.Length); bytes++)
        {
            var b = data[bytes];
            value |= (b & 0x7F) << (7 * bytes);
            if ((b & 0x80) == 0)
            {
                bytes++;
                return true;
            }
        }

        if (bytes == 5)
        {
            throw new InvalidOperationException("length prefix longer than 5 bytes");
        }

        return false;
    }

    // ---- JSON: {"type":1,"target":"EnrichmentEvent","arguments":[{"event":..,"id":..,"data":{..,"payload":{"bench_seq":N,"bench_ts":T}}}]}

    private bool HandleJson(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a hub message is a JSON object");
        }

        // Properties may come in any order: remember where the arguments start, act once type and target are known.
        var type = -1;
        var isEvent = false;
        var isSubscribe = false;
        var hasArguments = false;
        var arguments = default(Utf8JsonReader);
        string? error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                isEvent = reader.ValueTextEquals(EventMethod);
            }
            else if (reader.ValueTextEquals("invocationId"u8))
            {
                reader.Read();
                isSubscribe = reader.ValueTextEquals(SubscribeInvocationId);
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                hasArguments = true;
                arguments = reader;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = reader.GetString(); // rare: a failed subscription or a close with an error
            }
            else
            {
                reader.Skip();
            }
        }

        switch (type)
        {
            case InvocationType when isEvent && hasArguments:
                arguments.Read(); // [
                arguments.Read(); // the EnrichmentEvent argument
                if (arguments.TokenType == JsonTokenType.StartObject && ReadJsonEvent(ref arguments, out var seq, out var ticks) && ticks != 0)
                {
                    _stats.Delivered(ref _lastSeq, seq, ticks);
                }

                return true;
            case CompletionType when isSubscribe:
                _subscribed.TrySetResult(error);
                return error is null;
            case CloseType:
                OnClose(error);
                return false;
            default:
                return true; // pings, and anything this subscriber does not use
        }
    }

    private static bool ReadJsonEvent(ref Utf8JsonReader reader, out long seq, out long ticks)
    {
        seq = ticks = 0;
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("payload"u8))
                    {
                        reader.Read();
                        found = reader.TokenType == JsonTokenType.StartObject ? ReadJsonMarker(ref reader, out seq, out ticks) : SkipValue(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip(); // event, id
            }
        }

        return found;
    }

    private static bool ReadJsonMarker(ref Utf8JsonReader reader, out long seq, out long ticks)
    {
        seq = ticks = 0;
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("bench_seq"u8))
            {
                reader.Read();
                found = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out seq);
            }
            else if (reader.ValueTextEquals("bench_ts"u8))
            {
                reader.Read();
                _ = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out ticks);
            }
            else
            {
                reader.Skip();
            }
        }

        return found;
    }

    private static bool SkipValue(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return false;
    }

    // ---- MessagePack: [1, {headers}, nil, "EnrichmentEvent", [{"event":..,"id":..,"data":{..,"payload":{"bench_seq":N,"bench_ts":T}}}], []?]

    private bool HandleMessagePack(ReadOnlyMemory<byte> message)
    {
        var reader = new MessagePackReader(message);
        var count = reader.ReadArrayHeader();
        switch (reader.ReadInt32())
        {
            case InvocationType:
                reader.Skip(); // headers
                reader.Skip(); // invocation id (nil: the server expects no result)
                if (!reader.TryReadStringSpan(out var target) || !target.SequenceEqual(EventMethod) || reader.ReadArrayHeader() < 1)
                {
                    return true;
                }

                if (ReadMessagePackEvent(ref reader, out var seq, out var ticks) && ticks != 0)
                {
                    _stats.Delivered(ref _lastSeq, seq, ticks);
                }

                return true;
            case CompletionType:
                reader.Skip(); // headers
                if (reader.TryReadNil() || !reader.TryReadStringSpan(out var id) || !id.SequenceEqual("0"u8))
                {
                    return true;
                }

                // ResultKind 1: the error string follows; 2: void; 3: the result follows.
                var error = reader.ReadInt32() == 1 ? reader.ReadString() ?? "error" : null;
                _subscribed.TrySetResult(error);
                return error is null;
            case CloseType:
                OnClose(count > 1 && !reader.TryReadNil() ? reader.ReadString() : null);
                return false;
            case PingType:
            default:
                return true;
        }
    }

    private static bool ReadMessagePackEvent(ref MessagePackReader reader, out long seq, out long ticks)
    {
        seq = ticks = 0;
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            return false;
        }

        var found = false;
        for (var n = reader.ReadMapHeader(); n > 0; n--)
        {
            if (!reader.TryReadStringSpan(out var key) || !key.SequenceEqual("data"u8) || reader.NextMessagePackType != MessagePackType.Map)
            {
                reader.Skip(); // event, id
                continue;
            }

            for (var d = reader.ReadMapHeader(); d > 0; d--)
            {
                if (!reader.TryReadStringSpan(out var dataKey) || !dataKey.SequenceEqual("payload"u8) || reader.NextMessagePackType != MessagePackType.Map)
                {
                    reader.Skip();
                    continue;
                }

                for (var p = reader.ReadMapHeader(); p > 0; p--)
                {
                    if (!reader.TryReadStringSpan(out var markerKey) || reader.NextMessagePackType != MessagePackType.Integer)
                    {
                        reader.Skip();
                    }
                    else if (markerKey.SequenceEqual("bench_seq"u8))
                    {
                        seq = reader.ReadInt64();
                        found = true;
                    }
                    else if (markerKey.SequenceEqual("bench_ts"u8))
                    {
                        ticks = reader.ReadInt64();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }

        return found;
    }

    private void OnClose(string? error)
    {
        if (error is not null)
        {
            Fail("closed: " + error); // like the .NET client's Closed event with an error
        }
        else if (!_lifetime.IsCancellationRequested)
        {
            Fail("closed by the server");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_pinger is not null)
        {
            await _pinger.DisposeAsync();
        }

        await _lifetime.CancelAsync(); // aborts a pending receive
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        _socket.Dispose();
        _lifetime.Dispose();
    }
}
