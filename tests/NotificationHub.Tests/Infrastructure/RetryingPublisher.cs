using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>
/// A publisher as the protocol asks one to behave through a Redis fault: each event has its own
/// <c>Idempotency-Key</c>, and a 503 or a timed-out request is retried with the same key until it is accepted.
/// Records every status it got, so a test can assert that nothing but 202 and 503 was ever answered.
/// </summary>
public sealed class RetryingPublisher(HubProcess node, string bomId)
{
    private readonly HttpClient _client = new() { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _token = node.PublisherToken();

    /// <summary>Every status answered, in order (0: the request timed out or the connection failed).</summary>
    public ConcurrentQueue<int> Statuses { get; } = new();

    /// <summary>The ids of accepted events, in publish order.</summary>
    public List<string> Accepted { get; } = [];

    /// <summary>Publishes one event until accepted (bounded by <paramref name="timeout"/>); returns its id.</summary>
    public async Task<string> PublishAsync(string eventType, int processed, TimeSpan timeout)
    {
        var key = $"{bomId}:{eventType}:{processed}";
        var body = JsonSerializer.Serialize(new
        {
            event_type = eventType,
            tenant_id = "acme",
            state = new { total_items = 1000, processed_items = processed, enriched_items = processed },
        });
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bomId}/events")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", _token);
            request.Headers.Add("Idempotency-Key", key);
            try
            {
                using var response = await _client.SendAsync(request);
                Statuses.Enqueue((int)response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("event_id").GetString()!;
                    Accepted.Add(id);
                    return id;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Statuses.Enqueue(0);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Event {key} not accepted within {timeout}; statuses: {string.Join(",", Statuses)}");
            }

            await Task.Delay(200);
        }
    }
}
