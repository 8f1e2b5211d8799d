using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Hubs;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// The frames built from an event's envelope bytes are exactly what SignalR's own protocols, as the server registers
/// them, write for the event's <c>EnrichmentEvent</c> invocation (issue #15 item 4: no <c>JsonDocument</c> per event).
/// </summary>
public sealed class HubInvocationFramesTests
{
    private static readonly DateTimeOffset CreatedAt = new DateTimeOffset(2026, 12, 7, 20, 40, 1, 234, TimeSpan.Zero).AddTicks(5678);

    /// <summary>Envelopes as the bus writes them (<see cref="EnvelopeTemplate"/>, then the log id spliced in).</summary>
    public static List<(string EventType, string Envelope)> Corpus()
    {
        var state = new EnrichmentProgressState
        {
            BomId = "bom-1", Status = EnrichmentStatus.Enriching, TotalItems = 1_000_000, ProcessedItems = 333_333,
            EnrichedItems = 300_000, ErrorItems = 33_333, PercentComplete = 33.3333333333333,
            CurrentItem = new CurrentItem { Mpn = "LM317T/NOPB \"TO-220\" ü ✓", Status = "enriching", Message = "line\nbreak\t<tag> & 'q' \\ / \ud83d\ude00" },
            EstimatedTimeRemaining = 1.5e-7, UpdatedAt = CreatedAt,
            Extra = new Dictionary<string, JsonElement>
            {
                ["nested"] = JsonDocument.Parse("""{"a":[1,-2,3.5,1e300,-0.0,18446744073709551615,9223372036854775807,-9223372036854775808],"b":{"c":null,"d":true,"e":false,"f":[[[[{"g":"deep"}]]]]}}""").RootElement,
                ["caf\u00e9"] = JsonDocument.Parse("\"\\u00e9\\u0000\\u001f\"").RootElement,
            },
        };
        var plainState = new EnrichmentProgressState
        {
            BomId = "bom-1", Status = EnrichmentStatus.Completed, TotalItems = 3, ProcessedItems = 3, EnrichedItems = 3, PercentComplete = 100,
            CurrentItem = new CurrentItem { Mpn = "LM317T", Status = "enriched" }, UpdatedAt = CreatedAt,
        };
        var payloads = new[]
        {
            "", "0", "-12.50e+3", "12345678901234567890123", "true", "null", "\"plain\"", "[]", "{}",
            "{\"bench_seq\": 17, \"bench_ts\": 123456789012}",
            "{\"caf\\u00e9\": \"\u00f6 <b> & '\\\"\\\\/\\n\\t\", \"emoji\": \"\\ud83d\\ude00 \ud83d\ude00\", \"\\\"k\\\"\": [\"\\u2028\"]}",
            "{\"long\": \"" + new string('x', 3000) + "\\u0041\", \"s\": \"" + new string('y', 65_536 - 3000 - 1700) + "\"}",
        };

        var data = new List<(string EventType, string Envelope)>();
        var sequence = 0;
        foreach (var eventType in new[] { EnrichmentEventNames.Started, EnrichmentEventNames.Progress, EnrichmentEventNames.LegacyProgress, EnrichmentEventNames.Completed, EnrichmentEventNames.Failed })
        {
            foreach (var payload in payloads)
            {
                // Even rows ASCII-only where the payload allows (copied as they are), odd ones with escapes (re-escaped).
                var plain = sequence % 2 == 0;
                var template = EnvelopeTemplate.Build(eventType, "bom-1", plain ? "acme" : "t\u00e9nant", CreatedAt,
                    eventType == EnrichmentEventNames.Started ? null : plain ? plainState : state, null, Encoding.UTF8.GetBytes(payload),
                    eventType != EnrichmentEventNames.Failed ? null : plain ? "failed: quota" : "failed: \"quota\" \u00e9 \n");
                var eventId = $"{1_765_000_000_000 + sequence}-{sequence++}";
                data.Add((eventType, Encoding.UTF8.GetString(EnvelopeTemplate.WithEventId(template, eventId))));
            }
        }

        return data;
    }

    [Fact]
    public async Task The_frames_built_from_the_envelope_bytes_are_what_signalrs_protocols_write_for_the_invocation()
    {
        await using var server = await HubServer.StartAsync();
        var protocols = server.Services.GetServices<IHubProtocol>().ToDictionary(p => p.Name);
        var corpus = Corpus();
        Assert.Contains(corpus, row => !row.Envelope.Contains('\\', StringComparison.Ordinal));
        Assert.Contains(corpus, row => row.Envelope.Contains('\\', StringComparison.Ordinal));
        foreach (var (eventType, envelope) in corpus)
        {
            AssertFramesAreSignalRs(protocols, eventType, envelope);
        }
    }

    private static void AssertFramesAreSignalRs(Dictionary<string, IHubProtocol> protocols, string eventType, string envelope)
    {
        var json = Encoding.UTF8.GetBytes(envelope);
        using var document = JsonDocument.Parse(json);
        var busEvent = new BusEvent(document.RootElement.GetProperty("event_id").GetString()!, eventType, "bom-1", document.RootElement.GetProperty("tenant_id").GetString()!, json);
        var invocation = new InvocationMessage(EnrichmentHub.EventMethod, [new EnrichmentHubEvent(busEvent.EventType, busEvent.EventId, document.RootElement)]);

        Assert.Equal(protocols["json"].GetMessageBytes(invocation).ToArray(), SerializedHubEvents.Frame(busEvent, protocols["json"]).ToArray());
        Assert.Equal(protocols["messagepack"].GetMessageBytes(invocation).ToArray(), SerializedHubEvents.Frame(busEvent, protocols["messagepack"]).ToArray());

        // The stateful-reconnect message, made from the same bytes only when asked, serializes to the same frames.
        foreach (var protocol in protocols.Values)
        {
            Assert.Equal(SerializedHubEvents.Frame(busEvent, protocol).ToArray(), SerializedHubEvents.Get(busEvent).GetSerializedMessage(protocol).ToArray());
        }
    }

    [Fact]
    public void The_largest_allowed_event_is_in_the_corpus()
    {
        var largest = Corpus().Max(row => Encoding.UTF8.GetByteCount(row.Envelope));
        Assert.InRange(largest, new EventBusOptions().MaxEventBytes - 1024, new EventBusOptions().MaxEventBytes);
    }
}
