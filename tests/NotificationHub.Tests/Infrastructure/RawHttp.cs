using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// Requests written by hand on a socket, for what <see cref="HttpClient"/> does not do: a POST with neither
/// <c>Content-Length</c> nor a body (as <c>curl -X POST</c> sends it), and a chunked body still being sent when the
/// server answers and closes (a refused upload, a trickling client), whose answer is read while sending.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <c>POST path</c> with only <c>Host</c>, <c>Authorization</c> and <c>Connection: close</c>.</summary>
    public static Task<(HttpStatusCode Status, string Response)> PostWithoutBodyAsync(Uri baseAddress, string path, string token) =>
        SendAsync(baseAddress, $"POST /{path.TrimStart('/')} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n", null);

    /// <summary>
    /// Sends <paramref name="body"/> chunked, <paramref name="chunkSize"/> bytes per chunk with <paramref name="pause"/>
    /// between chunks, until it is sent or the server stops reading; the answer is read meanwhile.
    /// </summary>
    public static Task<(HttpStatusCode Status, string Response)> PostChunkedAsync(
        Uri baseAddress, string path, string token, byte[] body, int chunkSize, TimeSpan pause = default) =>
        SendAsync(
            baseAddress,
            $"POST /{path.TrimStart('/')} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            async (stream, cancellationToken) =>
            {
                for (var offset = 0; offset < body.Length; offset += chunkSize)
                {
                    if (offset > 0 && pause > TimeSpan.Zero)
                    {
                        await Task.Delay(pause, cancellationToken); // the client's pace is the behaviour under test
                    }

                    var length = Math.Min(chunkSize, body.Length - offset);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken);
                    await stream.WriteAsync(body.AsMemory(offset, length), cancellationToken);
                    await stream.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
                }

                await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken);
            });

    private static async Task<(HttpStatusCode Status, string Response)> SendAsync(
        Uri baseAddress, string head, Func<Stream, CancellationToken, Task>? writeBody)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, baseAddress.Port)).WaitAsync(TestTimeouts.Default);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).AsTask().WaitAsync(TestTimeouts.Default);

        using var answered = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            try
            {
                if (writeBody is not null)
                {
                    await writeBody(stream, answered.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // The server answered and stopped reading: what these requests are for.
            }
        });

        // Connection: close, and a refused body closes the connection too: the answer ends where the stream does.
        var response = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                response.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (response.Length > 0)
        {
            // A reset after the answer (the server closed with our unread body in its buffers).
        }

        await answered.CancelAsync();
        await sending.WaitAsync(TestTimeouts.Default);
        var text = Encoding.UTF8.GetString(response.ToArray());
        var status = text.Length >= 12 ? int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture) : 0;
        return ((HttpStatusCode)status, text);
    }
}
