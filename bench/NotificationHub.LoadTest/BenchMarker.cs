using System.Buffers.Text;

namespace NotificationHub.LoadTest;

/// <summary>
/// The marker every benchmark event carries in its JSON (the contract's <c>payload</c>, passed through unchanged):
/// <c>{"bench_seq":N,"bench_ts":T}</c>, T the publish time in <see cref="System.Diagnostics.Stopwatch"/> ticks
/// (CLOCK_MONOTONIC on Linux: the same clock in every process of the machine, so load processes can be split).
/// </summary>
internal static class BenchMarker
{
    private static ReadOnlySpan<byte> SeqKey => "\"bench_seq\":"u8;

    private static ReadOnlySpan<byte> TsKey => "\"bench_ts\":"u8;

    public static string Payload(long seq, long ticks) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"bench_seq\":{seq},\"bench_ts\":{ticks}}}");

    /// <summary>Finds the marker in a frame or message; false when it has none (connected, snapshot, keepalive...).</summary>
    public static bool TryRead(ReadOnlySpan<byte> text, out long seq, out long ticks)
    {
        seq = ticks = 0;
        var at = text.IndexOf(SeqKey);
        if (at < 0 || !Utf8Parser.TryParse(text[(at + SeqKey.Length)..], out seq, out _))
        {
            return false;
        }

        var rest = text[(at + SeqKey.Length)..];
        var ts = rest.IndexOf(TsKey);
        return ts >= 0 && Utf8Parser.TryParse(rest[(ts + TsKey.Length)..], out ticks, out _);
    }
}
