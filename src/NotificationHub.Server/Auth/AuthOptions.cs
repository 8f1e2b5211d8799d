using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.Auth;

/// <summary>Token validation settings, bound from the <c>Auth</c> section.</summary>
public sealed class AuthOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Auth";

    /// <summary>HS256 key for local use (at least 32 bytes of UTF-8). Either this or <see cref="Authority"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>OIDC authority whose JWKS signs tokens (production).</summary>
    public string? Authority { get; set; }

    /// <summary>Expected <c>iss</c>.</summary>
    [Required]
    public string Issuer { get; set; } = "notificationhub";

    /// <summary>Expected <c>aud</c>.</summary>
    [Required]
    public string Audience { get; set; } = "notificationhub";

    /// <summary>The claim that names the caller's tenant (organization).</summary>
    [Required]
    public string TenantClaim { get; set; } = ClaimNames.DefaultTenant;

    /// <summary>Tolerance for clock drift when validating <c>exp</c>/<c>nbf</c> at connect.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many validated publisher tokens (scope <c>enrichment:publish</c>) are kept, so that a publisher reusing its
    /// token is not validated again on every publish request; 0 turns the cache off. User tokens are never cached.
    /// </summary>
    [Range(0, 65536)]
    public int PublisherTokenCacheSize { get; set; } = 1024;

    /// <summary>
    /// How long a cached publisher token may be used after it was validated (it is never used past its <c>exp</c>):
    /// the delay before a rotated signing key or changed settings apply to a token already cached.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PublisherTokenCacheMaxAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(SigningKey) && string.IsNullOrEmpty(Authority))
        {
            yield return new ValidationResult(
                "Set Auth:SigningKey (HS256, local use) or Auth:Authority (OIDC/JWKS).",
                [nameof(SigningKey), nameof(Authority)]);
        }

        if (!string.IsNullOrEmpty(SigningKey) && System.Text.Encoding.UTF8.GetByteCount(SigningKey) < 32)
        {
            yield return new ValidationResult("Auth:SigningKey must be at least 32 bytes.", [nameof(SigningKey)]);
        }
    }
}
