using System.Buffers;
using System.Text;
using NotificationHub.Server.Sse;

namespace NotificationHub.Tests.Sse;

public sealed class SseFrameTests
{
    private static string Frame(Action<ArrayBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Event_has_id_event_data_and_a_blank_line()
    {
        var text = Frame(w => SseFrame.WriteEvent(w, "1-0", "progress", "{\"a\":1}"u8));
        Assert.Equal("id: 1-0\nevent: progress\ndata: {\"a\":1}\n\n", text);
    }

    [Fact]
    public void Event_without_id_has_no_id_field()
    {
        var text = Frame(w => SseFrame.WriteEvent(w, null, "keepalive", "{}"u8));
        Assert.Equal("event: keepalive\ndata: {}\n\n", text);
    }

    [Theory]
    [InlineData("a\nb\nc")]
    [InlineData("a\r\nb\r\nc")]
    [InlineData("a\rb\rc")]
    public void Multi_line_data_becomes_one_data_field_per_line(string data)
    {
        var text = Frame(w => SseFrame.WriteEvent(w, null, "x", Encoding.UTF8.GetBytes(data)));
        Assert.Equal("event: x\ndata: a\ndata: b\ndata: c\n\n", text);
    }

    [Fact]
    public void Trailing_newline_in_data_gives_an_empty_last_data_line()
    {
        var text = Frame(w => SseFrame.WriteEvent(w, null, "x", "a\n"u8));
        Assert.Equal("event: x\ndata: a\ndata: \n\n", text);
    }

    [Theory]
    [InlineData("1-0\nevent: evil", "progress")]
    [InlineData("1-0\r", "progress")]
    [InlineData("1-0", "progress\ndata: injected")]
    [InlineData("1-0", "progress\r")]
    public void CR_or_LF_in_id_or_event_name_is_refused(string id, string eventName)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => SseFrame.WriteEvent(buffer, id, eventName, "{}"u8));
    }

    [Fact]
    public void Retry_is_written_in_milliseconds()
    {
        Assert.Equal("retry: 3000\n", Frame(w => SseFrame.WriteRetry(w, TimeSpan.FromSeconds(3))));
    }

    [Fact]
    public void Bus_event_frame_is_built_once_and_shared()
    {
        var busEvent = new NotificationHub.Bus.BusEvent("5-0", "progress", "b", "t", "{\"x\":1}"u8.ToArray());

        var first = SseFrameCache.Get(busEvent);
        var second = SseFrameCache.Get(busEvent);

        Assert.Same(first, second);
        Assert.Equal("id: 5-0\nevent: progress\ndata: {\"x\":1}\n\n", Encoding.UTF8.GetString(first));
    }
}
