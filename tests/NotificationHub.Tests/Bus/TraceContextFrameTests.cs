using System.Text;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;

namespace NotificationHub.Tests.Bus;

/// <summary>The trace context's frame beside the envelope on the bus (<see cref="TraceContextFrame"/>).</summary>
public sealed class TraceContextFrameTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static readonly byte[] Envelope = """{"event_id":"1-0","event_type":"enrichment.started"}"""u8.ToArray();

    [Fact]
    public void A_framed_message_splits_into_the_traceparent_and_the_very_envelope_bytes()
    {
        var message = TraceContextFrame.Frame(TraceParent, Envelope);

        Assert.True(TraceContextFrame.TrySplit(message, out var traceParent, out var json));
        Assert.Equal(TraceParent, Encoding.ASCII.GetString(traceParent.Span));
        Assert.Equal(Envelope, json.ToArray());
    }

    [Theory]
    [InlineData("""{"event_id":"1-0","event_type":"enrichment.started"}""")] // the bus's untraced envelope
    [InlineData("""  {"organization_id":"acme"}""")] // a legacy worker's message
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01\n{}")] // uppercase: not W3C
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n{}")] // another version's length may differ
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n")] // nothing after the frame
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 {}")] // no line feed
    public void A_message_without_a_well_formed_frame_is_left_whole(string text)
    {
        var message = Encoding.UTF8.GetBytes(text);

        Assert.False(TraceContextFrame.TrySplit(message, out var traceParent, out var json));
        Assert.True(traceParent.IsEmpty);
        Assert.Equal(message, json.ToArray());
    }

    [Fact]
    public void A_malformed_traceparent_is_refused_rather_than_framed()
    {
        Assert.Throws<ArgumentException>(() => TraceContextFrame.Frame("00-abc\n{\"injected\":1}", Envelope));
    }

    [Fact]
    public void A_framed_message_whose_envelope_is_not_json_is_dropped_by_the_reader()
    {
        var message = TraceContextFrame.Frame(TraceParent, "data: injected\n\n"u8);
        Assert.True(TraceContextFrame.TrySplit(message, out _, out var json));

        Assert.Null(ChannelMessageReader.TryRead("bom-1", json, 65536, out var reason));
        Assert.Equal("not valid JSON", reason);
    }

    [Fact]
    public void Splitting_allocates_nothing_framed_or_not()
    {
        ReadOnlyMemory<byte> framed = TraceContextFrame.Frame(TraceParent, Envelope);
        ReadOnlyMemory<byte> bare = Envelope;
        TraceContextFrame.TrySplit(framed, out _, out _); // JIT before measuring

        var before = GC.GetAllocatedBytesForCurrentThread();
        var split = 0;
        for (var i = 0; i < 1000; i++)
        {
            split += TraceContextFrame.TrySplit(framed, out _, out _) ? 1 : 0;
            split += TraceContextFrame.TrySplit(bare, out _, out _) ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, split);
    }
}
