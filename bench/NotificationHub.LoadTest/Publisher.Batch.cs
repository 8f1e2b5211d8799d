using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NotificationHub.Contracts;

namespace NotificationHub.LoadTest;

/// <summary><c>--publish batch</c>: one request to <c>POST /api/enrichment/events</c> carrying one event per BOM.</summary>
internal sealed partial class Publisher
{
    /// <summary>Publishes event <paramref name="seq"/> of each of <paramref name="boms"/> in one batch request (ours only).</summary>
    public async Task PublishBatchAsync(string[] boms, long seq, CancellationToken cancel)
    {
        var total = _options.Warmup + _options.EventsPerBom;
        var body = new StringBuilder("{\"events\":[");
        for (var i = 0; i < boms.Length; i++)
        {
            body.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture,
                $"{{\"bom_id\":\"{boms[i]}\",\"event_type\":\"{EnrichmentEventNames.Progress}\",\"tenant_id\":\"{Tenant}\",\"state\":{{\"total_items\":{total},\"processed_items\":{seq},\"enriched_items\":{seq},\"error_items\":0,\"percent_complete\":{100.0 * seq / total:0.##}}},\"payload\":{BenchMarker.Payload(seq, Stopwatch.GetTimestamp())}}}");
        }

        body.Append("]}");
        try
        {
            using var response = await _http.PostAsync("/api/enrichment/events", Json(body.ToString()), cancel);
            Check(response);
            if (response.IsSuccessStatusCode)
            {
                // Each event has its own result: count the refused ones as failures.
                using var results = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancel));
                foreach (var result in results.RootElement.GetProperty("results").EnumerateArray())
                {
                    if (result.GetProperty("status").GetInt32() != 202)
                    {
                        Interlocked.Increment(ref _failures);
                        FirstError ??= $"batch item: {result}";
                    }
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            Interlocked.Add(ref _failures, boms.Length);
            FirstError ??= ex.Message;
        }
    }
}
