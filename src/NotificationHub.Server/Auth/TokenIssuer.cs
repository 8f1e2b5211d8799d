using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotificationHub.Server.Auth;

/// <summary>
/// Mints HS256 tokens with the configured signing key: for local development (the <c>token</c> command) and
/// tests. Production tokens come from the identity provider (<c>Auth:Authority</c>).
/// </summary>
public sealed class TokenIssuer(IOptions<AuthOptions> options)
{
    private readonly AuthOptions _options = options.Value;

    /// <summary>Creates a signed token.</summary>
    /// <param name="tenantId">The tenant claim's value, or null for a tenant-less service token.</param>
    /// <param name="subject">The user.</param>
    /// <param name="lifetime">Time until <c>exp</c>.</param>
    /// <param name="scopes">Space-separated scopes, e.g. <c>enrichment:publish</c>.</param>
    public string Issue(string? tenantId, string subject, TimeSpan lifetime, string? scopes = null)
    {
        if (string.IsNullOrEmpty(_options.SigningKey))
        {
            throw new InvalidOperationException("Minting tokens needs Auth:SigningKey.");
        }

        var claims = new Dictionary<string, object> { [ClaimNames.Subject] = subject };
        if (tenantId is not null)
        {
            claims[_options.TenantClaim] = tenantId;
        }

        if (!string.IsNullOrEmpty(scopes))
        {
            claims[ClaimNames.Scope] = scopes;
        }

        var now = DateTime.UtcNow;
        var notBefore = lifetime > TimeSpan.Zero ? now : now + lifetime - TimeSpan.FromMinutes(1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            Claims = claims,
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(_options.SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
