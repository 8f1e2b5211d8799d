using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NotificationHub.Bus;

/// <summary>
/// An id the replay log assigned: <c>{milliseconds}-{sequence}</c>, the format of a Redis Stream entry id,
/// which the in-memory backend reproduces. Log ids are totally ordered per BOM, which is what lets the bus
/// splice replay and live delivery without loss or duplication. (Events a legacy worker PUBLISHes straight
/// onto the channel keep their own ids, which are not log ids and are not ordered.)
/// </summary>
public readonly record struct EventLogId(long Milliseconds, long Sequence) : IComparable<EventLogId>
{
    /// <summary>
    /// <c>0-0</c>: before every logged event. Reading the log after it gives the whole log (when it was never trimmed).
    /// </summary>
    public static EventLogId Start { get; } = new(0, 0);

    /// <summary>The id as written on the wire.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");

    /// <inheritdoc />
    public int CompareTo(EventLogId other)
    {
        var c = Milliseconds.CompareTo(other.Milliseconds);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }

    /// <summary>Parses <c>ms-seq</c>; false for anything else, including legacy UUIDs.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out EventLogId id)
    {
        id = default;
        if (string.IsNullOrEmpty(value) || value.Length > 41)
        {
            return false;
        }

        var dash = value.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || dash == value.Length - 1)
        {
            return false;
        }

        if (!long.TryParse(value.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ||
            !long.TryParse(value.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        id = new EventLogId(ms, seq);
        return true;
    }

    /// <summary>Ordering operator.</summary>
    public static bool operator <(EventLogId left, EventLogId right) => left.CompareTo(right) < 0;

    /// <summary>Ordering operator.</summary>
    public static bool operator >(EventLogId left, EventLogId right) => left.CompareTo(right) > 0;

    /// <summary>Ordering operator.</summary>
    public static bool operator <=(EventLogId left, EventLogId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering operator.</summary>
    public static bool operator >=(EventLogId left, EventLogId right) => left.CompareTo(right) >= 0;
}
