using System.Runtime.InteropServices;
using System.Text;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Bus;
using NotificationHub.Server.Hubs;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

/// <summary>The hub's fan-out serializes an event once per protocol and writes the same bytes to every connection.</summary>
public sealed class SerializedHubEventsTests
{
    [Fact]
    public async Task An_event_is_serialized_once_per_protocol_and_the_same_bytes_serve_every_connection()
    {
        await using var server = await HubServer.StartAsync();
        var protocols = server.Services.GetServices<IHubProtocol>().ToDictionary(p => p.Name);
        var json = """{"event_id":"1-0","event_type":"progress","bom_id":"b","tenant_id":"t","state":{"total_items":1}}"""u8.ToArray();
        var busEvent = new BusEvent("1-0", "progress", "b", "t", json);

        var message = SerializedHubEvents.Get(busEvent);

        Assert.Same(message, SerializedHubEvents.Get(busEvent));
        foreach (var protocol in new[] { protocols["json"], protocols["messagepack"] })
        {
            var first = message.GetSerializedMessage(protocol);
            var again = SerializedHubEvents.Get(busEvent).GetSerializedMessage(protocol);
            Assert.True(MemoryMarshal.TryGetArray(first, out var a));
            Assert.True(MemoryMarshal.TryGetArray(again, out var b));
            Assert.Same(a.Array, b.Array); // cached bytes, not a second serialization
        }

        var text = Encoding.UTF8.GetString(message.GetSerializedMessage(protocols["json"]).Span);
        Assert.Contains("\"target\":\"EnrichmentEvent\"", text, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"1-0\"", text, StringComparison.Ordinal);
        Assert.Contains("\"total_items\":1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pump_writes_the_events_bytes_as_they_are_and_every_other_message_is_the_registered_protocols()
    {
        await using var server = await HubServer.StartAsync();
        var json = """{"event_id":"2-0","event_type":"progress","bom_id":"b","tenant_id":"t","state":{"total_items":2}}"""u8.ToArray();
        var busEvent = new BusEvent("2-0", "progress", "b", "t", json);
        var ping = new JsonHubProtocol().GetMessageBytes(PingMessage.Instance).ToArray();

        foreach (var protocol in server.Services.GetServices<IHubProtocol>())
        {
            // The frame a pump sends is the shared message's bytes, kept where they are read without its lock.
            var frame = SerializedHubEvents.Frame(busEvent, protocol);
            Assert.Equal(SerializedHubEvents.Get(busEvent).GetSerializedMessage(protocol).ToArray(), frame.ToArray());
            Assert.True(SerializedHubEvents.Frame(busEvent, protocol).Span == frame.Span); // the same memory, not a copy

            // Two events' frames in one write come out byte for byte, in order.
            var two = new byte[frame.Length * 2];
            frame.Span.CopyTo(two);
            frame.Span.CopyTo(two.AsSpan(frame.Length));
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            protocol.WriteMessage(new PreSerializedFrames { Frames = two }, output);
            Assert.Equal(two, output.WrittenSpan.ToArray());

            if (protocol.Name == "json")
            {
                Assert.Equal(ping, protocol.GetMessageBytes(PingMessage.Instance).ToArray());
            }
        }
    }

    [Fact]
    public void MessagePack_carries_every_string_of_the_json_whether_written_from_its_bytes_or_unescaped()
    {
        // Plain names and values go from their UTF-8 bytes; escaped ones are unescaped first: both must read back alike.
        using var document = System.Text.Json.JsonDocument.Parse(
            """{"plain":"value","esc\"aped":"a \"quoted\" \u00e9 \\ path","ünï":"naïve ✓","list":[1,"x",{"k":"v\n"}],"n":null}""");
        var bytes = MessagePack.MessagePackSerializer.Serialize(
            new EnrichmentHubEvent("progress", "1-0", document.RootElement), HubMessagePack.SerializerOptions);

        var back = MessagePack.MessagePackSerializer.Deserialize<EnrichmentHubEvent>(bytes, HubMessagePack.SerializerOptions)!.Data;

        Assert.True(System.Text.Json.JsonElement.DeepEquals(document.RootElement, back), back.GetRawText());
        Assert.Equal("a \"quoted\" é \\ path", back.GetProperty("esc\"aped").GetString());
        Assert.Equal("naïve ✓", back.GetProperty("ünï").GetString());
    }
}
