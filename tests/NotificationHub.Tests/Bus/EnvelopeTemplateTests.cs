using System.Text;
using System.Text.Json;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// The envelope template the bus writes itself is the serializer's envelope with an empty id, whether the payload
/// comes as a parsed element (in-process publishers, the batch API) or as the JSON text of a request body (the single
/// publishing API, which parses no document).
/// </summary>
public sealed class EnvelopeTemplateTests
{
    public static TheoryData<string> Payloads() =>
    [
        "{}",
        "[]",
        "\"text\"",
        "0",
        "-12.50e+3",
        "1e400",
        "true",
        "{\"bench_seq\": 17, \"bench_ts\": 123456789012}",
        "{\n \"a\" : [ 1 ,2,\t3 ],\r\n \"b\": {\"c\": null, \"d\": false}}",
        "{\"caf\\u00e9\": \"\u00f6 <b> & '\\\"\\\\/\\n\\t\", \"emoji\": \"\\ud83d\\ude00 \ud83d\ude00\"}",
        "[[[[[[[[[[\"deep\"]]]]]]]]]]",
        "{\"long\": \"" + new string('x', 3000) + "\\u0041\"}",
    ];

    [Theory]
    [MemberData(nameof(Payloads))]
    public void A_payload_given_as_json_text_is_written_as_the_serializer_writes_the_element(string payloadJson)
    {
        using var document = JsonDocument.Parse(payloadJson);
        var state = new EnrichmentProgressState { BomId = "bom-1", Status = "enriching", TotalItems = 3, ProcessedItems = 1, PercentComplete = 33.33 };
        var createdAt = new DateTimeOffset(2026, 12, 7, 16, 40, 1, 234, TimeSpan.Zero).AddTicks(5678);

        var fromText = EnvelopeTemplate.Build("progress", "bom-1", "acme", createdAt, state, null, Encoding.UTF8.GetBytes(payloadJson), "e\u00e9");
        var fromElement = EnvelopeTemplate.Build("progress", "bom-1", "acme", createdAt, state, document.RootElement, default, "e\u00e9");
        var serialized = EnrichmentJson.SerializeEnvelope(new EnrichmentEnvelope
        {
            EventType = "progress",
            BomId = "bom-1",
            TenantId = "acme",
            CreatedAt = createdAt,
            State = state,
            Payload = document.RootElement,
            Error = "e\u00e9",
        });

        Assert.Equal(Encoding.UTF8.GetString(serialized), Encoding.UTF8.GetString(fromElement));
        Assert.Equal(Encoding.UTF8.GetString(serialized), Encoding.UTF8.GetString(fromText));
    }

    [Fact]
    public void A_lone_surrogate_escape_in_payload_text_is_refused()
    {
        Assert.ThrowsAny<InvalidOperationException>(() =>
            EnvelopeTemplate.Build("progress", "bom-1", "acme", DateTimeOffset.UnixEpoch, null, null, "{\"a\":\"\\ud800\"}"u8, null));
    }
}
