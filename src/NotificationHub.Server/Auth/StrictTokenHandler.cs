using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotificationHub.Server.Auth;

/// <summary>
/// JwtBearer's token handler, wrapped with the rules it does not enforce: a header with <c>crit</c> is refused (RFC 7515
/// §4.1.11: the recipient must understand every listed extension, and this server understands none); <c>exp</c> must be
/// a JSON number; the tenant claim, when present, must be a single string (an array's first element would otherwise be
/// taken as the tenant).
/// </summary>
/// <remarks>
/// The rules run on the token's own JSON, after the inner handler accepted it (so a forged token costs no more than
/// before), and a token breaking one is returned invalid: <see cref="ValidatedTokenCache"/>, which wraps this handler,
/// never caches it.
/// </remarks>
internal sealed class StrictTokenHandler(TokenHandler inner, string tenantClaim) : TokenHandler
{
    /// <summary>The wrapped handler.</summary>
    public TokenHandler Inner => inner;

    /// <inheritdoc />
    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var result = await inner.ValidateTokenAsync(token, validationParameters);
        return result.IsValid && result.SecurityToken is JsonWebToken jwt && Violation(jwt) is { } reason
            ? new TokenValidationResult { IsValid = false, Exception = new StrictTokenException(reason) }
            : result;
    }

    /// <inheritdoc />
    public override async Task<TokenValidationResult> ValidateTokenAsync(SecurityToken token, TokenValidationParameters validationParameters)
    {
        var result = await inner.ValidateTokenAsync(token, validationParameters);
        return result.IsValid && token is JsonWebToken jwt && Violation(jwt) is { } reason
            ? new TokenValidationResult { IsValid = false, Exception = new StrictTokenException(reason) }
            : result;
    }

    /// <inheritdoc />
    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    private string? Violation(JsonWebToken jwt)
    {
        using (var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedHeader)))
        {
            if (header.RootElement.TryGetProperty("crit", out _))
            {
                return "The token's header lists critical extensions ('crit') this server does not understand.";
            }
        }

        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        var root = payload.RootElement;
        if (root.TryGetProperty(ClaimNames.Expiry, out var exp) && exp.ValueKind != JsonValueKind.Number)
        {
            return "The token's 'exp' claim is not a number.";
        }

        if (root.TryGetProperty(tenantClaim, out var tenant) && tenant.ValueKind != JsonValueKind.String)
        {
            return $"The token's '{tenantClaim}' claim is not a single string.";
        }

        return null;
    }
}
