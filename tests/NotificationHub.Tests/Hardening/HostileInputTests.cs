using System.Net;
using System.Net.Http.Json;
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

            // Token strictness (issue 13): validly signed, but breaking a rule the JWT library does not enforce.
            ("crit header", $"api/enrichment/stream/{bom}?token={RawJwt(CritHeader, Payload())}", HttpStatusCode.Unauthorized),
            ("exp as string", $"api/enrichment/stream/{bom}?token={RawJwt(PlainHeader, Payload(exp: "\"EXP\""))}", HttpStatusCode.Unauthorized),
            ("tenant array", $"api/enrichment/stream/{bom}?token={RawJwt(PlainHeader, Payload(tenant: "[\"acme\",\"globex\"]"))}", HttpStatusCode.Unauthorized),
            ("tenant number", $"api/enrichment/stream/{bom}?token={RawJwt(PlainHeader, Payload(tenant: "42"))}", HttpStatusCode.Unauthorized),
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


        var events = $"api/enrichment/{bom}/events";
        var start = $"api/enrichment/{bom}-start/start";

        // A client trickling its body at 1 byte/s runs alongside the other cases: Kestrel's minimum body data rate
        // (240 B/s after a 5 s grace period) cuts it off with 408, not 500.
        var trickle = RawHttp.PostChunkedAsync(server.BaseAddress, events, publisher,
            Encoding.UTF8.GetBytes("""{"event_type":"progress","tenant_id":"acme","state":{"total_items":1}}"""), 1, TimeSpan.FromSeconds(1));

        static Func<HttpContent> Json(string body) => () => new StringContent(body, Encoding.UTF8, "application/json");
        static Func<HttpContent> Bytes(int length) => () =>
        {
            var body = new byte[length];
            Array.Fill(body, (byte)' '); // valid JSON whitespace: only its size can refuse it
            return new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
        };

        var hugeState = $$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":1},"payload":"{{new string('x', 70_000)}}"}""";
        var publishCases = new (string Name, string Path, Func<HttpContent> Body, string Token, HttpStatusCode Expected, string? Code)[]
        {
            ("not json", events, Json("not json"), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("array", events, Json("[1,2,3]"), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("unknown type", events, Json("""{"event_type":"enrichment.exploded","tenant_id":"acme"}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("CRLF in type", events, Json("""{"event_type":"progress\r\nevent: x","tenant_id":"acme","state":{}}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("stream_end as type", events, Json("""{"event_type":"stream_end","tenant_id":"acme"}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("no tenant", events, Json("""{"event_type":"progress","state":{}}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("CRLF tenant", events, Json("""{"event_type":"progress","tenant_id":"ac\r\nme","state":{}}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("progress without state", events, Json("""{"event_type":"progress","tenant_id":"acme"}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("huge", events, Json(hugeState), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("wrong tenant", events, Json("""{"event_type":"progress","tenant_id":"globex","state":{}}"""), publisher, HttpStatusCode.Conflict, "tenant_mismatch"),
            ("user token", events, Json("""{"event_type":"progress","tenant_id":"acme","state":{}}"""), good, HttpStatusCode.Forbidden, null),
            ("bad number", events, Json("""{"event_type":"progress","tenant_id":"acme","state":{"total_items":"many"}}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),

            // Token strictness (issue 13): refused every time, so never served from the publisher token cache.
            ("crit publisher", events, Json("""{"event_type":"progress","tenant_id":"acme","state":{}}"""), critPublisher, HttpStatusCode.Unauthorized, "unauthorized"),
            ("crit publisher again", events, Json("""{"event_type":"progress","tenant_id":"acme","state":{}}"""), critPublisher, HttpStatusCode.Unauthorized, "unauthorized"),
            ("lone surrogate in payload", events, Json("""{"event_type":"progress","tenant_id":"acme","state":{},"payload":"\ud800"}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("lone surrogate in state", events, Json("""{"event_type":"progress","tenant_id":"acme","state":{"current_item":{"mpn":"\udc00x","status":"enriched"}}}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("infinite percent", events, Json("""{"event_type":"progress","tenant_id":"acme","state":{"percent_complete":1e400}}"""), publisher, HttpStatusCode.BadRequest, "invalid_event"),
            ("10 MB body", events, Bytes(10 << 20), publisher, HttpStatusCode.RequestEntityTooLarge, "request_too_large"),
            ("40 MB body", events, Bytes(40 << 20), publisher, HttpStatusCode.RequestEntityTooLarge, "request_too_large"),
            ("start: lone surrogate", start, Json("""{"items":[{"mpn":"\ud800"}]}"""), good, HttpStatusCode.BadRequest, "invalid_job"),
            ("start: huge quantity", start, Json("""{"items":[{"mpn":"LM358","quantity":1e400}]}"""), good, HttpStatusCode.BadRequest, "invalid_job"),
            ("start: 40 MB body", start, Bytes(40 << 20), good, HttpStatusCode.RequestEntityTooLarge, "request_too_large"),
        };
        foreach (var (name, path, body, token, expected, code) in publishCases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body() };
            request.Headers.Authorization = new("Bearer", token);
            request.Headers.ExpectContinue = true; // as curl sends a large body: a body refused unread is never sent
            using var response = await server.Client.SendAsync(request).Bounded();
            Assert.True(expected == response.StatusCode, $"{name}: expected {expected}, got {response.StatusCode}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{name}: not problem+json");
            if (code is not null)
            {
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>().Bounded();
                Assert.True(code == problem.GetProperty("code").GetString(), $"{name}: expected code {code}, got {problem}");
            }
        }

        // A chunked body declares no length: it is refused once more than the limit was read, and never parsed.
        var whitespace = new byte[1 << 20];
        Array.Fill(whitespace, (byte)' ');
        var (chunkedStatus, chunkedResponse) = await RawHttp.PostChunkedAsync(server.BaseAddress, events, publisher, whitespace, 16 << 10);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedStatus);
        Assert.Contains("\"code\":\"request_too_large\"", chunkedResponse, StringComparison.Ordinal);

        var (trickleStatus, trickleResponse) = await trickle.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.RequestTimeout, trickleStatus);
        Assert.Contains("\"code\":\"request_timeout\"", trickleResponse, StringComparison.Ordinal);

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
            """{"event_type":"enrichment.progress","bom_id":"BOM","organization_id":"acme","state":{},"payload":"\ud800"}""",
            """{"event_type":"enrichment.progress","bom_id":"BOM","organization_id":"acme","state":{"percent_complete":1e400}}""",
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
        Assert.Equal(62, streamCases.Length + publishCases.Length + busCases.Length);
        var metrics = await server.Client.GetStringAsync("metrics").Bounded();
        Assert.Matches("(?m)^notificationhub_events_dropped_total(\\{[^}]*\\})? [1-9]", metrics);
    }
}
