using System.Buffers;
using System.Text;
using MessagePack;
using NotificationHub.LoadTest;

namespace NotificationHub.Tests.Bench;

/// <summary>
/// The load tool's raw SignalR reader (<see cref="RawSignalRSubscriber"/>) parses the hub protocol however the bytes
/// are split into WebSocket frames: one byte at a time, a few bytes, several messages at once, messages larger than
/// its buffer.
/// </summary>
public sealed class RawSignalRSubscriberTests
{
    private delegate void WriteBody(ref MessagePackWriter writer);

    private static readonly Uri HubUrl = new("http://127.0.0.1:1/hubs/enrichment");

    public static TheoryData<int> Chunks => [1, 3, 7, 100, 100_000];

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task Json_messages_are_read_whatever_the_framing(int chunk)
    {
        var wire = Encoding.UTF8.GetBytes(string.Concat(
            "{}\u001e",
            "{\"type\":3,\"invocationId\":\"0\",\"result\":{\"type\":\"connected\",\"bom_id\":\"b-1\"}}\u001e",
            "{\"type\":1,\"target\":\"EnrichmentEvent\",\"arguments\":[{\"event\":\"enrichment.started\",\"id\":\"1-0\",\"data\":{\"bom_id\":\"b-1\"}}]}\u001e",
            "{\"type\":6}\u001e",
            JsonEvent(1, 11),
            "{\"arguments\":[{\"data\":{\"payload\":{\"bench_ts\":12,\"bench_seq\":2},\"x\":[1,{\"y\":null}]},\"id\":\"3-0\"}],\"target\":\"EnrichmentEvent\",\"type\":1}\u001e",
            "{\"type\":1,\"target\":\"Other\",\"arguments\":[{\"data\":{\"payload\":{\"bench_seq\":9,\"bench_ts\":9}}}]}\u001e",
            JsonEvent(3, 13, new string('z', 9000)),
            "{\"type\":7,\"error\":\"Server shut down.\"}\u001e"));
        var stats = new DeliveryStats();
        await using var subscriber = new RawSignalRSubscriber(stats, HubUrl, "t", messagePack: false, null, CancellationToken.None);

        var open = Feed(subscriber, wire, chunk);

        Assert.False(open); // the close message ends the connection
        Assert.Equal(3, stats.Received);
        Assert.Equal(0, stats.Gaps);
        Assert.Equal(0, stats.Duplicates);
        Assert.Equal(3, subscriber.LastSeq);
        Assert.Equal(1, stats.StreamErrors);
        Assert.Contains("Server shut down.", stats.FirstError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task MessagePack_messages_are_read_whatever_the_framing(int chunk)
    {
        var wire = new ArrayBufferWriter<byte>();
        wire.Write("{}\u001e"u8);
        wire.Write(Framed((ref MessagePackWriter w) =>
        {
            // Completion of SubscribeBom: [3, {}, "0", 3, result]
            w.WriteArrayHeader(5);
            w.Write(3);
            w.WriteMapHeader(0);
            w.Write("0");
            w.Write(3);
            w.WriteMapHeader(1);
            w.Write("type");
            w.Write("connected");
        }));
        wire.Write(MessagePackEvent(null, 0, null));
        wire.Write<byte>([0x02, 0x91, 0x06]); // ping
        wire.Write(MessagePackEvent(1, 21, null));
        wire.Write(MessagePackEvent(2, 22, new string('z', 9000))); // a two-byte length prefix, larger than the buffer
        wire.Write(MessagePackEvent(3, 23, null));
        wire.Write(Framed((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write(7);
            w.Write("Server shut down.");
            w.Write(false);
        }));
        var stats = new DeliveryStats();
        await using var subscriber = new RawSignalRSubscriber(stats, HubUrl, "t", messagePack: true, null, CancellationToken.None);

        var open = Feed(subscriber, wire.WrittenSpan.ToArray(), chunk);

        Assert.False(open);
        Assert.Equal(3, stats.Received);
        Assert.Equal(0, stats.Gaps);
        Assert.Equal(3, subscriber.LastSeq);
        Assert.Equal(1, stats.StreamErrors);
        Assert.Contains("Server shut down.", stats.FirstError, StringComparison.Ordinal);
    }

    [Fact]
    public void The_subscribe_invocation_follows_the_spec()
    {
        Assert.Equal(
            "{\"type\":1,\"invocationId\":\"0\",\"target\":\"SubscribeBom\",\"arguments\":[\"b-1\",null]}\u001e",
            Encoding.UTF8.GetString(RawSignalRSubscriber.SubscribeMessage("b-1", messagePack: false)));

        // VarInt length, then [1, {}, "0", "SubscribeBom", ["b-1", nil], []]
        byte[] expected = [0x19, 0x96, 0x01, 0x80, 0xa1, (byte)'0', 0xac, .. "SubscribeBom"u8, 0x92, 0xa3, .. "b-1"u8, 0xc0, 0x90];
        Assert.Equal(expected, RawSignalRSubscriber.SubscribeMessage("b-1", messagePack: true));
        Assert.Equal([0x80, 0x01, .. new byte[128]], RawSignalRSubscriber.WithLengthPrefix(new byte[128]));
    }

    private static bool Feed(RawSignalRSubscriber subscriber, byte[] wire, int chunk)
    {
        for (var at = 0; at < wire.Length; at += chunk)
        {
            if (!subscriber.Feed(wire.AsSpan(at, Math.Min(chunk, wire.Length - at))))
            {
                return false;
            }
        }

        return true;
    }

    private static string JsonEvent(long seq, long ticks, string? padding = null) =>
        $"{{\"type\":1,\"target\":\"EnrichmentEvent\",\"arguments\":[{{\"event\":\"enrichment.progress\",\"id\":\"{seq}-0\",\"data\":{{\"bom_id\":\"b-1\",\"note\":\"{padding}\",\"payload\":{{\"bench_seq\":{seq},\"bench_ts\":{ticks}}}}}}}]}}\u001e";

    private static byte[] MessagePackEvent(long? seq, long ticks, string? padding) => Framed((ref MessagePackWriter w) =>
    {
        // [1, {}, nil, "EnrichmentEvent", [{"event", "id", "data": {..., "payload": {...}}}], []]
        w.WriteArrayHeader(6);
        w.Write(1);
        w.WriteMapHeader(0);
        w.WriteNil();
        w.Write("EnrichmentEvent");
        w.WriteArrayHeader(1);
        w.WriteMapHeader(3);
        w.Write("event");
        w.Write("enrichment.progress");
        w.Write("id");
        w.Write($"{seq}-0");
        w.Write("data");
        w.WriteMapHeader(seq is null ? 1 : 3);
        w.Write("bom_id");
        w.Write("b-1");
        if (seq is not null)
        {
            w.Write("note");
            w.Write(padding);
            w.Write("payload");
            w.WriteMapHeader(2);
            w.Write("bench_seq");
            w.Write(seq.Value);
            w.Write("bench_ts");
            w.Write(ticks);
        }

        w.WriteArrayHeader(0);
    });

    private static byte[] Framed(WriteBody write)
    {
        var body = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(body);
        write(ref writer);
        writer.Flush();
        return RawSignalRSubscriber.WithLengthPrefix(body.WrittenSpan);
    }
}
