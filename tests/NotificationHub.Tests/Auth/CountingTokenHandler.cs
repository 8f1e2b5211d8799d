using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotificationHub.Tests.Auth;

/// <summary>The handler JwtBearer uses, counting how often it really validates a token string.</summary>
public sealed class CountingTokenHandler : JsonWebTokenHandler
{
    private int _validations;

    public CountingTokenHandler() => MapInboundClaims = false;

    public int Validations => Volatile.Read(ref _validations);

    /// <summary>The last result it returned.</summary>
    public TokenValidationResult? LastResult { get; private set; }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        Interlocked.Increment(ref _validations);
        var result = await base.ValidateTokenAsync(token, validationParameters);
        LastResult = result;
        return result;
    }
}
