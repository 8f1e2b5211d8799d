using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NotificationHub.LoadTest;

/// <summary>
/// One EventSource-style subscriber on a raw socket: a hand-written HTTP/1.1 GET, chunked decoding and SSE event
/// splitting over one small buffer, no per-event allocation. Cheap enough for thousands per core.
/// </summary>
internal sealed class SseSubscriber : IDisposable
{
    private readonly Socket _socket;
    private readonly DeliveryStats _stats;
    private readonly byte[] _receive = new byte[4096];
    private byte[] _event = new byte[2048];
    private int _eventLength;
    private int _scanFrom;
    private long _lastSeq;
    private bool _headersDone;
    private bool _chunked;
    private long _chunkRemaining;
    private int _chunkState; // 0: size line, 1: data, 2: CRLF after data

    public SseSubscriber(DeliveryStats stats, IPAddress? source)
    {
        _stats = stats;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (source is not null)
        {
            _socket.Bind(new IPEndPoint(source, 0));
        }
    }

    /// <summary>True once the response headers said 200.</summary>
    public bool Connected { get; private set; }

    /// <summary>Completes when the headers were read (true for 200).</summary>
    public TaskCompletionSource<bool> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long LastSeq => Interlocked.Read(ref _lastSeq);

    /// <summary>Connects, sends the request and reads until <paramref name="cancel"/> fires or the server closes.</summary>
    public async Task RunAsync(IPEndPoint server, string pathAndQuery, CancellationToken cancel)
    {
        try
        {
            await _socket.ConnectAsync(server, cancel);
            var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {server}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
            await _socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancel);
            while (true)
            {
                var read = await _socket.ReceiveAsync(_receive, SocketFlags.None, cancel);
                if (read == 0)
                {
                    if (!cancel.IsCancellationRequested)
                    {
                        _stats.StreamFailed("server closed the stream");
                    }

                    break;
                }

                if (!Consume(_receive.AsSpan(0, read)))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        catch (SocketException ex)
        {
            if (!Ready.Task.IsCompleted)
            {
                _stats.ConnectFailed($"SSE connect: {ex.SocketErrorCode}");
            }
            else if (!cancel.IsCancellationRequested)
            {
                _stats.StreamFailed($"SSE stream: {ex.SocketErrorCode}");
            }
        }
        finally
        {
            Ready.TrySetResult(false);
        }
    }

    private bool Consume(ReadOnlySpan<byte> data)
    {
        if (!_headersDone)
        {
            Append(data);
            var end = _event.AsSpan(0, _eventLength).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                return true;
            }

            var headers = Encoding.ASCII.GetString(_event, 0, end);
            var ok = headers.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) || headers.StartsWith("HTTP/1.0 200", StringComparison.Ordinal);
            if (!ok)
            {
                _stats.ConnectFailed("SSE: " + headers.Split('\r')[0]);
                Ready.TrySetResult(false);
                return false;
            }

            _chunked = headers.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase);
            _headersDone = true;
            Connected = true;
            Ready.TrySetResult(true);
            var body = _event.AsSpan(end + 4, _eventLength - end - 4).ToArray();
            _eventLength = 0;
            data = body;
        }

        return _chunked ? Dechunk(data) : Body(data);
    }

    private bool Dechunk(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            switch (_chunkState)
            {
                case 0:
                    var b = data[0];
                    data = data[1..];
                    if (b == '\n')
                    {
                        if (_chunkRemaining == 0)
                        {
                            return false; // last chunk: the server ended the response
                        }

                        _chunkState = 1;
                    }
                    else if (b != '\r')
                    {
                        var digit = HexValue(b);
                        if (digit < 0)
                        {
                            _chunkState = 3; // chunk extension: skip to LF
                        }
                        else
                        {
                            _chunkRemaining = (_chunkRemaining * 16) + digit;
                        }
                    }

                    break;
                case 3:
                    var lf = data.IndexOf((byte)'\n');
                    if (lf < 0)
                    {
                        return true;
                    }

                    data = data[lf..];
                    _chunkState = 0;
                    break;
                case 1:
                    var take = (int)Math.Min(_chunkRemaining, data.Length);
                    Body(data[..take]);
                    data = data[take..];
                    _chunkRemaining -= take;
                    if (_chunkRemaining == 0)
                    {
                        _chunkState = 2;
                    }

                    break;
                default:
                    var nl = data.IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        return true;
                    }

                    data = data[(nl + 1)..];
                    _chunkState = 0;
                    break;
            }
        }

        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private bool Body(ReadOnlySpan<byte> data)
    {
        Append(data);
        while (true)
        {
            var span = _event.AsSpan(0, _eventLength);
            var end = span[_scanFrom..].IndexOf("\n\n"u8);
            if (end < 0)
            {
                _scanFrom = Math.Max(0, _eventLength - 1);
                return true;
            }

            end += _scanFrom;
            var frame = span[..end];
            if (BenchMarker.TryRead(frame, out var seq, out var ticks))
            {
                _stats.Delivered(ref _lastSeq, seq, ticks);
            }

            var consumed = end + 2;
            span[consumed..].CopyTo(_event);
            _eventLength -= consumed;
            _scanFrom = 0;
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_eventLength + data.Length > _event.Length)
        {
            Array.Resize(ref _event, Math.Max(_event.Length * 2, _eventLength + data.Length));
        }

        data.CopyTo(_event.AsSpan(_eventLength));
        _eventLength += data.Length;
    }

    public void Dispose() => _socket.Dispose();
}
