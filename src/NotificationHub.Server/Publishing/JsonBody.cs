using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace NotificationHub.Server.Publishing;

/// <summary>
/// Reads a JSON request body from Kestrel's pipe and deserializes it in one synchronous pass over the buffered bytes,
/// instead of <see cref="JsonSerializer.DeserializeAsync{TValue}(Stream, JsonTypeInfo{TValue}, CancellationToken)"/>
/// over the body stream, which rents its own buffer, copies the pipe's bytes into it and runs a resumable state machine.
/// The body is bounded before it is read (<c>WithRequestBodyLimit</c>): Kestrel fails the read past the limit.
/// </summary>
internal static class JsonBody
{
    /// <summary>The body as <typeparamref name="T"/>; null for a JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">Not exactly one JSON value of that shape (empty, broken, or trailing data).</exception>
    public static async ValueTask<T?> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(cancellationToken);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End); // keep everything, wait for more
        }

        try
        {
            return Deserialize(read.Buffer, typeInfo);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    private static T? Deserialize<T>(ReadOnlySequence<byte> body, JsonTypeInfo<T> typeInfo)
    {
        var json = new Utf8JsonReader(body, new JsonReaderOptions
        {
            MaxDepth = typeInfo.Options.MaxDepth,
            CommentHandling = typeInfo.Options.ReadCommentHandling,
            AllowTrailingCommas = typeInfo.Options.AllowTrailingCommas,
        });
        var value = JsonSerializer.Deserialize(ref json, typeInfo);

        // The stream deserializer refuses anything after the value; reading one value from a reader does not.
        if (json.Read())
        {
            throw new JsonException("The body holds more than one JSON value.");
        }

        return value;
    }
}
