namespace NotificationHub.Server.Auth;

/// <summary>Names of the claims and scopes NotificationHub reads (the tenant claim's name is configurable).</summary>
public static class ClaimNames
{
    /// <summary>Default name of the tenant claim (<c>Auth:TenantClaim</c>).</summary>
    public const string DefaultTenant = "tenant_id";

    /// <summary>Space-separated OAuth scopes.</summary>
    public const string Scope = "scope";

    /// <summary>Subject (user id).</summary>
    public const string Subject = "sub";

    /// <summary>Expiry, seconds since the Unix epoch.</summary>
    public const string Expiry = "exp";

    /// <summary>The scope a worker needs to publish events.</summary>
    public const string PublishScope = "enrichment:publish";

    /// <summary>Authorization policy: publishing events.</summary>
    public const string PublishPolicy = "enrichment-publish";

    /// <summary>Authorization policy: reading a tenant's BOMs (a token with a tenant claim).</summary>
    public const string TenantPolicy = "enrichment-tenant";
}
