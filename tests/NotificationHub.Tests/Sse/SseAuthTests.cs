using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>Every way a token can be wrong gets 401 problem+json; a good one opens the stream.</summary>
public sealed class SseAuthTests : IAsyncLifetime
{
    private HubServer _server = null!;
    private const string Bom = "bom-auth-1";

    public async Task InitializeAsync()
    {
        _server = await HubServer.StartAsync();
        await _server.PublishAsync(Bom, "acme", EnrichmentEventNames.Started);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    internal static string Mint(string key = HubServer.SigningKey, string issuer = "notificationhub", string audience = "notificationhub",
        TimeSpan? lifetime = null, bool withTenant = true)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        var claims = new Dictionary<string, object> { ["sub"] = "mallory" };
        if (withTenant)
        {
            claims["tenant_id"] = "acme";
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            NotBefore = expires < now ? expires.AddMinutes(-5) : now,
            IssuedAt = expires < now ? expires.AddMinutes(-5) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }

    private static string Unsigned()
    {
        static string B64(string json) => Base64UrlEncoder.Encode(json);
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        return $"{B64("""{"alg":"none","typ":"JWT"}""")}.{B64($$"""{"sub":"m","tenant_id":"acme","iss":"notificationhub","aud":"notificationhub","exp":{{exp}}}""")}.";
    }

    public static TheoryData<string, string?> BadTokens() => new()
    {
        { "missing", null },
        { "garbage", "not-a-jwt" },
        { "alg none", Unsigned() },
        { "wrong key", Mint(key: "another-signing-key-of-sufficient-length-000") },
        { "wrong issuer", Mint(issuer: "evil") },
        { "wrong audience", Mint(audience: "someone-else") },
        { "expired", Mint(lifetime: TimeSpan.FromMinutes(-10)) },
        { "no tenant", Mint(withTenant: false) },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Bad_token_is_401_problem_json(string why, string? token)
    {
        var path = token is null ? $"api/enrichment/stream/{Bom}" : $"api/enrichment/stream/{Bom}?token={token}";
        await using var sse = await SseConnection.OpenAsync(_server.Client, path);

        Assert.True(sse.StatusCode == HttpStatusCode.Unauthorized, why);
        Assert.Equal("application/problem+json", sse.Response.Content.Headers.ContentType!.MediaType);
        var problem = await sse.Response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal("unauthorized", problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Good_token_opens_the_stream()
    {
        await using var sse = await SseConnection.OpenAsync(_server.Client, $"api/enrichment/stream/{Bom}?token={Mint()}");
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        Assert.Equal(EnrichmentEventNames.Connected, (await sse.ReadEventAsync())!.Event);
    }
}
