using System.Text;

namespace NotificationHub.Bus;

/// <summary>
/// Splices an event id into envelope JSON serialized with an empty id. The id is only known once the log
/// accepted the event (a Redis Stream assigns it inside the publish script), and splicing avoids a second
/// serialization: the Lua script does the same concatenation.
/// </summary>
public static class EnvelopeTemplate
{
    /// <summary>How every template starts: <c>event_id</c> is the envelope's first property.</summary>
    public const string Prefix = "{\"event_id\":\"\"";

    /// <summary>Byte length of <see cref="Prefix"/>.</summary>
    public static int PrefixLength { get; } = Encoding.UTF8.GetByteCount(Prefix);

    /// <summary>The envelope JSON with <paramref name="eventId"/> spliced into the template.</summary>
    public static byte[] WithEventId(ReadOnlySpan<byte> template, string eventId)
    {
        if (!template.StartsWith("{\"event_id\":\"\""u8))
        {
            throw new ArgumentException("The template does not start with an empty event_id.", nameof(template));
        }

        // Log ids are ASCII digits and a dash: no escaping needed.
        var head = "{\"event_id\":\""u8;
        var result = new byte[template.Length + eventId.Length];
        head.CopyTo(result);
        var written = head.Length + Encoding.ASCII.GetBytes(eventId, result.AsSpan(head.Length));
        template[(PrefixLength - 1)..].CopyTo(result.AsSpan(written));
        return result;
    }
}
