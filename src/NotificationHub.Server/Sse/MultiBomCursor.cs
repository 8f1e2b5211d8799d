using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Server.Sse;

/// <summary>
/// The SSE <c>id:</c> of the multi-BOM stream: every BOM's last delivered log id, so that one <c>Last-Event-ID</c>
/// resumes every BOM exactly. Text form (docs/protocol.md §3.4): <c>m1</c> then <c>,{bom_id}={log_id}</c> per BOM that
/// has one, in request order, e.g. <c>m1,bom-1=1764064801200-0,bom-7=1764064805000-3</c>. Not thread-safe.
/// </summary>
/// <remarks>
/// Not signed: a cursor only says where each of the caller's own BOMs resumes, which the caller may choose freely
/// (as with <c>Last-Event-ID</c> on the single-BOM stream); tampering is caught as a malformed cursor, never trusted
/// to name a BOM (every BOM it names must be one the request asks for, and passes the tenant check).
/// </remarks>
public sealed class MultiBomCursor
{
    /// <summary>The version prefix every cursor starts with.</summary>
    public const string Prefix = "m1";

    // ",{bom_id}={log_id}": a BOM id is at most BomIds.MaxLength characters, a log id at most 41 (EventLogId.TryParse).
    private const int MaxEntryLength = 1 + BomIds.MaxLength + 1 + 41;

    private readonly IReadOnlyList<string> _bomIds;
    private readonly EventLogId?[] _positions;

    /// <summary>A cursor with no position yet for any of <paramref name="bomIds"/> (each starts with its snapshot).</summary>
    public MultiBomCursor(IReadOnlyList<string> bomIds)
    {
        _bomIds = bomIds;
        _positions = new EventLogId?[bomIds.Count];
    }

    /// <summary>The longest cursor a stream of at most <paramref name="maxBoms"/> BOMs writes, and accepts: 3,422 characters at 20.</summary>
    public static int MaxLength(int maxBoms) => Prefix.Length + (maxBoms * MaxEntryLength);

    /// <summary>The resume log id of BOM <paramref name="index"/> (in request order), or null to start from its snapshot.</summary>
    public EventLogId? this[int index] => _positions[index];

    /// <summary>
    /// Parses <paramref name="text"/> for a request of <paramref name="bomIds"/>; false for anything not of the form
    /// above, longer than <paramref name="maxLength"/>, naming a BOM not in the request or one BOM twice, or with an
    /// entry whose log id does not parse.
    /// </summary>
    public static bool TryParse(string text, IReadOnlyList<string> bomIds, int maxLength, [NotNullWhen(true)] out MultiBomCursor? cursor)
    {
        cursor = null;
        if (text.Length > maxLength || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parsed = new MultiBomCursor(bomIds);
        var rest = text.AsSpan(Prefix.Length);
        while (!rest.IsEmpty)
        {
            if (rest[0] != ',')
            {
                return false;
            }

            rest = rest[1..];
            var end = rest.IndexOf(',');
            var entry = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[end..];

            var equals = entry.IndexOf('=');
            if (equals <= 0)
            {
                return false;
            }

            var index = IndexOf(bomIds, entry[..equals]);
            if (index < 0 || parsed._positions[index] is not null || !EventLogId.TryParse(entry[(equals + 1)..].ToString(), out var logId))
            {
                return false;
            }

            parsed._positions[index] = logId;
        }

        cursor = parsed;
        return true;
    }

    /// <summary>Moves the BOM of <paramref name="busEvent"/> to it; a live-only legacy event (no log id) leaves the cursor as it is.</summary>
    public void Advance(BusEvent busEvent)
    {
        if (busEvent.HasLogId && IndexOf(_bomIds, busEvent.BomId) is var index and >= 0)
        {
            _positions[index] = busEvent.LogId;
        }
    }

    /// <summary>Writes the text form as ASCII.</summary>
    public void WriteTo(IBufferWriter<byte> writer)
    {
        var span = writer.GetSpan(MaxLength(_bomIds.Count));
        Encoding.ASCII.GetBytes(Prefix, span);
        var length = Prefix.Length;
        for (var i = 0; i < _positions.Length; i++)
        {
            if (_positions[i] is not { } position)
            {
                continue;
            }

            span[length++] = (byte)',';
            length += Encoding.ASCII.GetBytes(_bomIds[i], span[length..]); // BOM ids are ASCII (BomIds.IsValid)
            span[length++] = (byte)'=';
            Utf8Formatter.TryFormat(position.Milliseconds, span[length..], out var written);
            length += written;
            span[length++] = (byte)'-';
            Utf8Formatter.TryFormat(position.Sequence, span[length..], out written);
            length += written;
        }

        writer.Advance(length);
    }

    /// <summary>The text form.</summary>
    public override string ToString()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(buffer);
        return Encoding.ASCII.GetString(buffer.WrittenSpan);
    }

    private static int IndexOf(IReadOnlyList<string> bomIds, ReadOnlySpan<char> bomId)
    {
        for (var i = 0; i < bomIds.Count; i++)
        {
            if (bomId.SequenceEqual(bomIds[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
