using System.Security.Cryptography;
using System.Text;

namespace NotificationHub.LoadTest;

/// <summary>
/// Mints HS256 tokens with the server's <c>Auth:SigningKey</c>, with the claims <c>TokenIssuer</c> puts in (issuer,
/// audience, <c>sub</c>, <c>tenant_id</c>, <c>scope</c>), so the tool needs no process round trip per token.
/// </summary>
internal static class JwtMinter
{
    public static string Mint(string signingKey, string subject, string? tenant, string? scope, TimeSpan lifetime,
        string issuer = "notificationhub", string audience = "notificationhub")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new StringBuilder();
        claims.Append("{\"iss\":\"").Append(issuer).Append("\",\"aud\":\"").Append(audience)
            .Append("\",\"sub\":\"").Append(subject).Append('"');
        if (tenant is not null)
        {
            claims.Append(",\"tenant_id\":\"").Append(tenant).Append('"');
        }

        if (scope is not null)
        {
            claims.Append(",\"scope\":\"").Append(scope).Append('"');
        }

        claims.Append(",\"iat\":").Append(now).Append(",\"nbf\":").Append(now - 5)
            .Append(",\"exp\":").Append(now + (long)lifetime.TotalSeconds).Append('}');
        var unsigned = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToString()));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.ASCII.GetBytes(unsigned));
        return unsigned + "." + Base64Url(signature);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
