using System.Buffers;
using System.Text;

namespace NotificationHub.Bus;

/// <summary>
/// How a publish's W3C trace context travels on the bus beside the envelope, never inside it: a channel message is
/// either the envelope JSON alone or <c>traceparent</c> (version <c>00</c>, 55 ASCII characters), a line feed, then the
/// envelope JSON. No JSON text starts with <c>00-</c>, so a framed message cannot be mistaken for an envelope (or a
/// legacy worker's message) and the reader splits it by position, without copying. Clients never see the frame: the
/// bus delivers the envelope bytes after it.
/// </summary>
public static class TraceContextFrame
{
    /// <summary>Length of a version-00 <c>traceparent</c>: <c>00-{32 hex}-{16 hex}-{2 hex}</c>.</summary>
    public const int TraceParentLength = 55;

    /// <summary>True for a well-formed version-00 <c>traceparent</c> string (checked without allocating).</summary>
    public static bool IsTraceParent(string value)
    {
        Span<byte> bytes = stackalloc byte[TraceParentLength];
        return value.Length == TraceParentLength && Ascii.FromUtf16(value, bytes, out _) == OperationStatus.Done && IsTraceParent(bytes);
    }

    /// <summary>True for a well-formed version-00 <c>traceparent</c> (lowercase hex, as W3C requires).</summary>
    public static bool IsTraceParent(ReadOnlySpan<byte> value)
    {
        if (value.Length != TraceParentLength || value[0] != '0' || value[1] != '0'
            || value[2] != '-' || value[35] != '-' || value[52] != '-')
        {
            return false;
        }

        for (var i = 3; i < TraceParentLength; i++)
        {
            if (i is not (35 or 52) && !char.IsAsciiHexDigitLower((char)value[i]) && !char.IsAsciiDigit((char)value[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The framed message: <paramref name="traceParent"/>, a line feed, <paramref name="json"/>.</summary>
    public static byte[] Frame(string traceParent, ReadOnlySpan<byte> json)
    {
        var message = new byte[TraceParentLength + 1 + json.Length];
        if (Encoding.ASCII.GetBytes(traceParent, message) != TraceParentLength || !IsTraceParent(message.AsSpan(0, TraceParentLength)))
        {
            throw new ArgumentException("Not a version-00 traceparent.", nameof(traceParent));
        }

        message[TraceParentLength] = (byte)'\n';
        json.CopyTo(message.AsSpan(TraceParentLength + 1));
        return message;
    }

    /// <summary>
    /// Splits a framed message into its <c>traceparent</c> and envelope (slices of <paramref name="message"/>); false,
    /// with <paramref name="json"/> the whole message, when it carries no frame.
    /// </summary>
    public static bool TrySplit(ReadOnlyMemory<byte> message, out ReadOnlyMemory<byte> traceParent, out ReadOnlyMemory<byte> json)
    {
        var span = message.Span;
        if (span.Length > TraceParentLength + 1 && span[TraceParentLength] == '\n' && IsTraceParent(span[..TraceParentLength]))
        {
            traceParent = message[..TraceParentLength];
            json = message[(TraceParentLength + 1)..];
            return true;
        }

        traceParent = default;
        json = message;
        return false;
    }
}
