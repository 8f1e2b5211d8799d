using System.Text;
using System.Text.Json;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;

namespace NotificationHub.Tests.Contracts;

public sealed class ContractJsonTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Envelope_serializes_with_snake_case_names_and_event_id_first()
    {
        var json = Encoding.UTF8.GetString(EnrichmentJson.SerializeEnvelope(new EnrichmentEnvelope
        {
            EventId = "1-0",
            EventType = EnrichmentEventNames.Progress,
            BomId = "bom-1",
            TenantId = "acme",
            CreatedAt = At,
            State = new EnrichmentProgressState
            {
                BomId = "bom-1",
                Status = EnrichmentStatus.Enriching,
                TotalItems = 10,
                ProcessedItems = 3,
                EnrichedItems = 2,
                ErrorItems = 1,
                PercentComplete = 30,
                CurrentItem = new CurrentItem { Mpn = "LM358DR", Status = "enriched" },
                EstimatedTimeRemaining = 4.5,
            },
        }));

        Assert.StartsWith("{\"event_id\":\"1-0\",\"event_type\":\"progress\",\"bom_id\":\"bom-1\",\"tenant_id\":\"acme\",\"created_at\":\"2026-11-25T10:00:00+00:00\"", json);
        var state = JsonDocument.Parse(json).RootElement.GetProperty("state");
        string[] expected = ["bom_id", "status", "total_items", "processed_items", "enriched_items", "error_items", "percent_complete", "current_item", "estimated_time_remaining"];
        Assert.Equal(expected, state.EnumerateObject().Select(p => p.Name));
        Assert.Equal("LM358DR", state.GetProperty("current_item").GetProperty("mpn").GetString());
        Assert.DoesNotContain("\"error\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"payload\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_round_trips_and_keeps_unknown_state_fields()
    {
        var json = """{"event_id":"5-1","event_type":"enrichment.failed","bom_id":"b","tenant_id":"t","created_at":"2026-11-25T10:00:00Z","state":{"bom_id":"b","status":"failed","total_items":2,"current_batch":3},"error":"boom","payload":{"k":[1,2]}}""";
        var envelope = EnrichmentJson.DeserializeEnvelope(Encoding.UTF8.GetBytes(json));
        Assert.Equal("boom", envelope.Error);
        Assert.Equal(3, envelope.State!.Extra!["current_batch"].GetInt32());

        var again = JsonDocument.Parse(EnrichmentJson.SerializeEnvelope(envelope)).RootElement;
        Assert.Equal(3, again.GetProperty("state").GetProperty("current_batch").GetInt32());
        Assert.Equal(2, again.GetProperty("payload").GetProperty("k")[1].GetInt32());
    }

    [Fact]
    public void Template_splice_gives_the_same_json_as_serializing_with_the_id()
    {
        var envelope = new EnrichmentEnvelope { EventId = "", EventType = "progress", BomId = "b", TenantId = "t", CreatedAt = At };
        var spliced = EnvelopeTemplate.WithEventId(EnrichmentJson.SerializeEnvelope(envelope), "1764064800000-7");
        Assert.Equal(EnrichmentJson.SerializeEnvelope(envelope with { EventId = "1764064800000-7" }), spliced);
    }

    [Theory]
    [InlineData("enrichment.progress", "progress")]
    [InlineData("progress", "progress")]
    [InlineData("enrichment.started", "enrichment.started")]
    [InlineData("enrichment.completed", "enrichment.completed")]
    [InlineData("enrichment.failed", "enrichment.failed")]
    [InlineData("stream_end", null)]
    [InlineData("progress\n", null)]
    [InlineData("", null)]
    public void Event_types_normalize_to_the_contract(string input, string? expected) =>
        Assert.Equal(expected, EnrichmentEventNames.Normalize(input));

    [Theory]
    [InlineData("bom-1", true)]
    [InlineData("BOM_2024.v2:rev-3", true)]
    [InlineData("", false)]
    [InlineData("a*", false)]
    [InlineData("a?", false)]
    [InlineData("a[1]", false)]
    [InlineData("a b", false)]
    [InlineData("a\r\nb", false)]
    [InlineData("böm", false)]
    public void Bom_ids_follow_the_rule(string bomId, bool valid) => Assert.Equal(valid, BomIds.IsValid(bomId));

    [Fact]
    public void Legacy_worker_message_is_normalized_to_the_contract()
    {
        var legacy = """
            {"event_id":"7b0c","event_type":"enrichment.progress","routing_key":"x","bom_id":"b1","organization_id":"acme",
             "state":{"status":"enriching","total_items":10,"enriched_items":4,"failed_items":1,"not_found_items":1,"pending_items":4,"percent_complete":60.0,"current_batch":2},
             "payload":{"batch":2},"created_at":"2026-11-25T10:00:00Z"}
            """;
        var busEvent = ChannelMessageReader.TryRead("b1", Encoding.UTF8.GetBytes(legacy), 65536, out var reason);

        Assert.Null(reason);
        Assert.Equal("progress", busEvent!.EventType);
        Assert.Equal("acme", busEvent.TenantId);
        Assert.Equal("7b0c", busEvent.EventId);
        Assert.False(busEvent.HasLogId);
        var envelope = busEvent.ToEnvelope();
        Assert.Equal(2, envelope.State!.ErrorItems);
        Assert.Equal(6, envelope.State.ProcessedItems);
        Assert.Equal("b1", envelope.State.BomId);
        Assert.Equal(2, envelope.State.Extra!["current_batch"].GetInt32());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"event_type":"enrichment.exploded","bom_id":"b1","tenant_id":"t"}""")]
    [InlineData("""{"event_type":"progress","bom_id":"other","tenant_id":"t"}""")]
    [InlineData("""{"event_type":"progress","bom_id":"b1"}""")]
    [InlineData("""{"event_id":"1\r\nevent: x","event_type":"progress","bom_id":"b1","tenant_id":"t"}""")]
    public void Hostile_channel_messages_are_dropped(string message)
    {
        Assert.Null(ChannelMessageReader.TryRead("b1", Encoding.UTF8.GetBytes(message), 65536, out var reason));
        Assert.NotNull(reason);
    }

    [Fact]
    public void The_bus_own_envelope_is_read_in_one_pass_passing_its_bytes_through_with_two_strings_and_the_event()
    {
        var envelope = EnvelopeTemplate.WithEventId(
            EnvelopeTemplate.Build(EnrichmentEventNames.Progress, "b1", "acme", At,
                new EnrichmentProgressState { BomId = "b1", Status = EnrichmentStatus.Enriching, TotalItems = 10 },
                null, """{"k":[1,{"x":"y"}]}"""u8, null),
            "1700000000000-7");
        ReadOnlyMemory<byte> message = envelope;

        var busEvent = ChannelMessageReader.TryRead("b1", message, 65536, out var reason);

        Assert.Null(reason);
        Assert.Equal(("1700000000000-7", "progress", "b1", "acme"), (busEvent!.EventId, busEvent.EventType, busEvent.BomId, busEvent.TenantId));
        Assert.True(busEvent.Json.Span.SequenceEqual(envelope)); // the very bytes, not a re-serialization
        Assert.True(busEvent.HasLogId);

        // The event id and tenant strings and the BusEvent only (~200 bytes); a JsonDocument per event cost more.
        const int Reads = 100;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Reads; i++)
        {
            ChannelMessageReader.TryRead("b1", message, 65536, out _);
        }

        var perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / Reads;
        Assert.InRange(perRead, 1, 240);
    }

    [Theory]
    // Each is a message the one-pass reader must not take as the bus's own; the document rules decide as they always did.
    [InlineData("""{"event_id":"1-1","event_type":"progress","bom_id":"b1","tenant_id":"t","tenant_id":"a\r\nb"}""", null)]
    [InlineData("""{"event_id":"1-1","event_type":"progress","bom_id":"b1","bom_id":"other","tenant_id":"t"}""", null)]
    [InlineData("""{"event_id":"1-1","event_type":"progress","bom_id":"b1","tenant_id":"t"} x""", null)]
    [InlineData("""{"event_id":"1-1","event_type":"progress","bom_id":"b1","tenant_id":"t","payload":[1,}""", null)]
    [InlineData("""{"event_id":"1-1","event_type":"progress","bom_id":"b1","tenant_id":"t\ud800"}""", null)]
    [InlineData("""{"event_id":"1-1","event_type":"progress","bom_id":"b1","tenant_id":5,"organization_id":"org"}""", "org")]
    [InlineData("""{"event_id":"1-1","event_type":"enrichment.progress","bom_id":"b1","tenant_id":"t","state":{"total_items":2}}""", "t")]
    [InlineData("""{"event_id":"not-a-log-id","event_type":"progress","bom_id":"b1","tenant_id":"t"}""", "t")]
    [InlineData("""{"event_id":"1-1","event_type":"progress","tenant_id":"t"}""", "t")]
    public void Messages_the_one_pass_reader_is_not_sure_of_are_decided_by_the_document_rules(string message, string? tenant)
    {
        var busEvent = ChannelMessageReader.TryRead("b1", Encoding.UTF8.GetBytes(message), 65536, out var reason);

        Assert.Equal(tenant, busEvent?.TenantId);
        Assert.Equal(tenant is null, reason is not null);
    }

    [Fact]
    public void Oversized_channel_message_is_dropped()
    {
        var big = Encoding.UTF8.GetBytes($$"""{"event_type":"progress","bom_id":"b1","tenant_id":"t","payload":"{{new string('x', 2000)}}"}""");
        Assert.Null(ChannelMessageReader.TryRead("b1", big, 1024, out _));
    }

    [Theory]
    [InlineData("1700000000000-0", true)]
    [InlineData("1-2", true)]
    [InlineData("abc", false)]
    [InlineData("1-", false)]
    [InlineData("-1", false)]
    [InlineData("1-2-3", false)]
    [InlineData("", false)]
    public void Log_ids_parse(string value, bool valid) => Assert.Equal(valid, EventLogId.TryParse(value, out _));

    [Fact]
    public void Log_ids_order_by_time_then_sequence()
    {
        Assert.True(new EventLogId(1, 5) < new EventLogId(2, 0));
        Assert.True(new EventLogId(2, 1) > new EventLogId(2, 0));
    }
}
