using NotificationHub.Server.Auth;

namespace NotificationHub.Server.Publishing;

/// <summary>
/// Runs the single publish (<c>POST /api/enrichment/{bom_id}/events</c>) of a request whose bearer token is a cached
/// publisher token, and that has no <c>Origin</c> header, straight from its endpoint, without the CORS,
/// authentication, authorization and rate-limiting middleware: CORS does nothing for a request without an
/// <c>Origin</c>, and what the others would decide for such a request is known already. Deciding it again cost a DI
/// scope, the item dictionary, the authentication service and handler provider, a policy evaluation and about 3.5 KB
/// per request, a third of what a publish request allocated (docs/benchmarks.md, "The cost of a publish, third round").
/// </summary>
/// <remarks>
/// The decision is the same one as the pipeline's, from the same parts: the principal is the one
/// <see cref="PublisherTokenShortcut"/> (the default scheme) makes of a cached token, and the endpoint's policy
/// (<see cref="ClaimNames.PublishPolicy"/>: an authenticated user holding <see cref="ClaimNames.PublishScope"/>) is
/// checked on it. Every other request, any token that is not cached or no longer valid, a token without the scope,
/// and every other endpoint, goes down the pipeline unchanged, so every 401 and 403 comes from where it came from.
/// The publish endpoint has no rate-limiting policy and no connection limit (those are for streams and hub
/// connections). A browser's request (it sends <c>Origin</c>) takes the whole pipeline. The exception handler and the
/// status code pages run before the shortcut, so they still apply.
/// </remarks>
public static class SinglePublishShortcut
{
    /// <summary>Adds the shortcut: before <c>UseCors</c> and <c>UseAuthentication</c>.</summary>
    public static IApplicationBuilder UseSinglePublishShortcut(this IApplicationBuilder app)
    {
        var cache = app.ApplicationServices.GetRequiredService<PublisherTokenShortcut.CacheAccessor>();
        return app.Use(next => http =>
            http.GetEndpoint() is { RequestDelegate: { } publish } endpoint
            && endpoint.Metadata.GetMetadata<Marker>() is not null
            && http.Request.Headers.Origin.Count == 0
            && PublisherTokenShortcut.CachedIdentity(http.Request, cache.Cache) is { IsAuthenticated: true } identity
                ? Publish(http, SlimPrincipal.Of(identity), publish, next)
                : next(http));
    }

    private static Task Publish(HttpContext http, SlimPrincipal user, RequestDelegate publish, RequestDelegate next)
    {
        if (!user.HasScope(ClaimNames.PublishScope))
        {
            return next(http); // never for a cached token (only tokens with the scope are cached): the pipeline decides
        }

        http.User = user;
        return publish(http);
    }

    /// <summary>Endpoint metadata: the endpoint the shortcut may run (the single publish only).</summary>
    internal sealed class Marker;
}
