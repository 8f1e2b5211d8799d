using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// A table of hostile requests and bus messages thrown at one Redis-backed server while a well-behaved client
/// watches a BOM: each gets its documented answer (or is dropped), and the good client still receives every event.
/// </summary>
[Collection("redis")]
public sealed class HostileInputTests(RedisServerFixture redis)
{
    private static string Jwt(string key = HubServer.SigningKey, string iss = "notificationhub", string aud = "notificationhub",
        double minutes = 5, bool tenant = true)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "mallory" };
        if (tenant)
        {
            claims["tenant_id"] = "acme";
        }

        var now = DateTime.UtcNow;
        var expires = now.AddMinutes(minutes);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = iss,
            Audience = aud,
            Claims = claims,
            NotBefore = minutes < 0 ? expires.AddMinutes(-1) : now,
            IssuedAt = minutes < 0 ? expires.AddMinutes(-1) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }

    private static string AlgNone() =>
        Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""") + "." +
        Base64UrlEncoder.Encode($$"""{"sub":"m","tenant_id":"acme","iss":"notificationhub","aud":"notificationhub","exp":{{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}""") + ".";

    // A token signed with the server's key whose header and payload are exactly these JSON texts.
    private static string RawJwt(string header, string payload)
    {
        var signingInput = Base64UrlEncoder.Encode(header) + "." + Base64UrlEncoder.Encode(payload);
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes(HubServer.SigningKey));
        return signingInput + "." + Base64UrlEncoder.Encode(hmac.ComputeHash(Encoding.ASCII.GetBytes(signingInput)));
    }

    private const string PlainHeader = """{"alg":"HS256","typ":"JWT"}""";

    private const string CritHeader = """{"alg":"HS256","typ":"JWT","crit":["nh-ext"],"nh-ext":1}""";

    // A payload with "EXP" replaced by an expiry 5 minutes ahead.
    private static string Payload(string exp = "EXP", string tenant = "\"acme\"", string extra = "") =>
        ("{\"sub\":\"mallory\",\"tenant_id\":" + tenant + ",\"iss\":\"notificationhub\",\"aud\":\"notificationhub\",\"exp\":" + exp + extra + "}")
            .Replace("EXP", DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    [Fact]
    public async Task Hostile_inputs_get_their_documented_answer_and_a_good_client_misses_nothing()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Redis:KeyPrefix"] = $"hostile:{Guid.NewGuid():N}:",
            ["RateLimiting:PerUserConnectionsPerMinute"] = "100000",
        });
        var bom = $"bom-hostile-{Guid.NewGuid():N}";
        var good = server.Token("acme");
        var publisher = server.PublisherToken();
        var ids = new List<string> { (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started)).EventId };
        await using var watcher = await server.OpenStreamAsync(bom, good);
        Assert.Equal(EnrichmentEventNames.Connected, (await watcher.ReadEventAsync())!.Event);
        Assert.Equal(ids[0], (await watcher.ReadEventAsync())!.Id);

        var longId = new string('b', 129);
        var streamCases = new (string Name, string Path, HttpStatusCode Expected)[]
        {
            ("no token", $"api/enrichment/stream/{bom}", HttpStatusCode.Unauthorized),
            ("garbage token", $"api/enrichment/stream/{bom}?token=garbage", HttpStatusCode.Unauthorized),
            ("empty token", $"api/enrichment/stream/{bom}?token=", HttpStatusCode.Unauthorized),
            ("three dots", $"api/enrichment/stream/{bom}?token=a.b.c", HttpStatusCode.Unauthorized),
            ("alg none", $"api/enrichment/stream/{bom}?token={AlgNone()}", HttpStatusCode.Unauthorized),
            ("wrong key", $"api/enrichment/stream/{bom}?token={Jwt(key: "wrong-key-wrong-key-wrong-key-wrong-key")}", HttpStatusCode.Unauthorized),
            ("wrong issuer", $"api/enrichment/stream/{bom}?token={Jwt(iss: "evil")}", HttpStatusCode.Unauthorized),
            ("wrong audience", $"api/enrichment/stream/{bom}?token={Jwt(aud: "evil")}", HttpStatusCode.Unauthorized),
            ("expired", $"api/enrichment/stream/{bom}?token={Jwt(minutes: -10)}", HttpStatusCode.Unauthorized),
            ("no tenant", $"api/enrichment/stream/{bom}?token={Jwt(tenant: false)}", HttpStatusCode.Unauthorized),
            ("signature stripped", $"api/enrichment/stream/{bom}?token={good[..(good.LastIndexOf('.') + 1)]}", HttpStatusCode.Unauthorized),

            // Token strictness (issue 13): validly signed, but breaking a rule the JWT library does not enforce.
            ("crit header", $"api/enrichment/stream/{bom}?token={RawJwt(CritHeader, Payload())}", HttpStatusCode.Unauthorized),
            ("exp as string", $"api/enrichment/stream/{bom}?token={RawJwt(PlainHeader, Payload(exp: "\"EXP\""))}", HttpStatusCode.Unauthorized),
            ("tenant array", $"api/enrichment/stream/{bom}?token={RawJwt(PlainHeader, Payload(tenant: "[\"acme\",\"globex\"]"))}", HttpStatusCode.Unauthorized),
            ("tenant number", $"api/enrichment/stream/{bom}?token={RawJwt(PlainHeader, Payload(tenant: "42"))}", HttpStatusCode.Unauthorized),
            ("wildcard *", $"api/enrichment/stream/bom*?token={good}", HttpStatusCode.BadRequest),
            ("wildcard ?", $"api/enrichment/stream/bom%3F?token={good}", HttpStatusCode.BadRequest),
            ("bracket", $"api/enrichment/stream/bom%5B1%5D?token={good}", HttpStatusCode.BadRequest),
            ("CRLF", $"api/enrichment/stream/bom%0D%0Aevent:x?token={good}", HttpStatusCode.BadRequest),
            ("too long", $"api/enrichment/stream/{longId}?token={good}", HttpStatusCode.BadRequest),
            ("non-ASCII", $"api/enrichment/stream/b%C3%B6m?token={good}", HttpStatusCode.BadRequest),
            ("space", $"api/enrichment/stream/bom%201?token={good}", HttpStatusCode.BadRequest),
            ("other tenant", $"api/enrichment/stream/{bom}?token={server.Token("globex")}", HttpStatusCode.NotFound),
            ("unknown bom", $"api/enrichment/stream/bom-nope?token={good}", HttpStatusCode.NotFound),
            ("status other tenant", $"api/enrichment/status/{bom}?token={server.Token("globex")}", HttpStatusCode.NotFound),
            ("status bad id", $"api/enrichment/status/a*b?token={good}", HttpStatusCode.BadRequest),
        };
        foreach (var (name, path, expected) in streamCases)
        {
            await using var attempt = await SseConnection.OpenAsync(server.Client, path);
            Assert.True(expected == attempt.StatusCode, $"{name}: expected {expected}, got {attempt.StatusCode}");
            Assert.True(attempt.Response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{name}: not problem+json");
        }

        // The control of the strictness rows: the same hand-made token without the defect is accepted.
        await using (var plain = await SseConnection.OpenAsync(server.Client, $"api/enrichment/stream/{bom}?token={RawJwt(PlainHeader, Payload())}"))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        // An Authorization: Basic header does not hide a valid ?token= (SSE) or ?access_token= (the hub's negotiation).
        var basic = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user:password")));
        using (var basicSse = new HttpRequestMessage(HttpMethod.Get, $"api/enrichment/stream/{bom}?token={good}"))
        {
            basicSse.Headers.Authorization = basic;
            using var response = await server.Client.SendAsync(basicSse, HttpCompletionOption.ResponseHeadersRead).Bounded();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var basicHub = new HttpRequestMessage(HttpMethod.Post, $"hubs/enrichment/negotiate?negotiateVersion=1&access_token={good}"))
        {
            basicHub.Headers.Authorization = basic;
            using var response = await server.Client.SendAsync(basicHub).Bounded();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var critPublisher = RawJwt(CritHeader, Payload(extra: ",\"scope\":\"enrichment:publish\""));

        var hugeState = $$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":1},"payload":"{{new string('x', 70_000)}}"}""";
        var publishCases = new (string Name, string Body, string Token, HttpStatusCode Expected)[]
        {
            ("not json", "not json", publisher, HttpStatusCode.BadRequest),
            ("array", "[1,2,3]", publisher, HttpStatusCode.BadRequest),
            ("unknown type", """{"event_type":"enrichment.exploded","tenant_id":"acme"}""", publisher, HttpStatusCode.BadRequest),
            ("CRLF in type", """{"event_type":"progress\r\nevent: x","tenant_id":"acme","state":{}}""", publisher, HttpStatusCode.BadRequest),
            ("stream_end as type", """{"event_type":"stream_end","tenant_id":"acme"}""", publisher, HttpStatusCode.BadRequest),
            ("no tenant", """{"event_type":"progress","state":{}}""", publisher, HttpStatusCode.BadRequest),
            ("CRLF tenant", """{"event_type":"progress","tenant_id":"ac\r\nme","state":{}}""", publisher, HttpStatusCode.BadRequest),
            ("progress without state", """{"event_type":"progress","tenant_id":"acme"}""", publisher, HttpStatusCode.BadRequest),
            ("huge", hugeState, publisher, HttpStatusCode.BadRequest),
            ("wrong tenant", """{"event_type":"progress","tenant_id":"globex","state":{}}""", publisher, HttpStatusCode.Conflict),
            ("user token", """{"event_type":"progress","tenant_id":"acme","state":{}}""", good, HttpStatusCode.Forbidden),
            ("bad number", """{"event_type":"progress","tenant_id":"acme","state":{"total_items":"many"}}""", publisher, HttpStatusCode.BadRequest),

            // Token strictness (issue 13): refused every time, so never served from the publisher token cache.
            ("crit publisher", """{"event_type":"progress","tenant_id":"acme","state":{}}""", critPublisher, HttpStatusCode.Unauthorized),
            ("crit publisher again", """{"event_type":"progress","tenant_id":"acme","state":{}}""", critPublisher, HttpStatusCode.Unauthorized),
        };
        foreach (var (name, body, token, expected) in publishCases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", token);
            using var response = await server.Client.SendAsync(request).Bounded();
            Assert.True(expected == response.StatusCode, $"{name}: expected {expected}, got {response.StatusCode}");
        }

        // Hostile messages straight onto the BOM's Redis channel: dropped, never delivered, never injected.
        var channel = RedisChannel.Literal($"enrichment:bom:{bom}");
        var subscriber = redis.Redis.GetSubscriber();
        string[] busCases =
        [
            "not json",
            "[]",
            "null",
            """{"event_type":"enrichment.exploded","bom_id":"BOM","tenant_id":"acme"}""",
            """{"event_type":"progress","bom_id":"another-bom","tenant_id":"acme","state":{}}""",
            """{"event_type":"progress","bom_id":"BOM","tenant_id":"globex","state":{}}""",
            """{"event_type":"progress","bom_id":"BOM","organization_id":"globex","state":{}}""",
            """{"event_type":"progress","bom_id":"BOM","state":{}}""",
            """{"event_id":"1\r\nevent: injected","event_type":"progress","bom_id":"BOM","tenant_id":"acme","state":{}}""",
            """{"event_type":"progress\nevent: x","bom_id":"BOM","tenant_id":"acme","state":{}}""",
            $$"""{"event_type":"progress","bom_id":"BOM","tenant_id":"acme","payload":"{{new string('y', 70_000)}}"}""",
            """{"event_type":"progress","bom_id":"BOM","tenant_id":"acme","state":{"total_items":"x"}}""",
        ];
        foreach (var message in busCases)
        {
            await subscriber.PublishAsync(channel, message.Replace("\"BOM\"", $"\"{bom}\"", StringComparison.Ordinal)).Bounded();
        }

        // The good client: the rest of the run arrives, complete and in order, and nothing hostile in between.
        ids.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: 1)).EventId);
        ids.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);
        var rest = await watcher.ReadToEndAsync();

        Assert.Equal(ids.Skip(1), rest.Where(e => e.Id is not null).Select(e => e.Id));
        Assert.Equal(["progress", "enrichment.completed", "stream_end"], rest.Select(e => e.Event));
        Assert.Equal(52, streamCases.Length + publishCases.Length + busCases.Length);
        var metrics = await server.Client.GetStringAsync("metrics").Bounded();
        Assert.Matches("(?m)^notificationhub_events_dropped_total(\\{[^}]*\\})? [1-9]", metrics);
    }
}
