using System.Reflection;
using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Auth;

/// <summary>
/// The caller's tenant, as a handler parameter of the endpoints behind <see cref="ClaimNames.TenantPolicy"/> (which
/// refuses a token without one, so handlers never check it again).
/// </summary>
/// <param name="Id">The token's tenant claim.</param>
public sealed record CallerTenant(string Id)
{
    /// <summary>Binds the parameter from the validated token (ASP.NET Core calls it; there is nothing to read from the request).</summary>
    public static ValueTask<CallerTenant?> BindAsync(HttpContext http, ParameterInfo parameter)
    {
        var tenantClaim = http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.TenantClaim;
        return ValueTask.FromResult(http.User.GetTenantId(tenantClaim) is { } tenant ? new CallerTenant(tenant) : null);
    }
}
