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
}
