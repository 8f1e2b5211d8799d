using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using NotificationHub.Bus;
using NotificationHub.Jobs;

namespace NotificationHub.Server.Http;

/// <summary>
/// The one place that turns Redis being unreachable, stalled or failing over into <c>503 bus_unavailable</c> with
/// <c>Retry-After</c>, for every HTTP endpoint of the API: handlers let <see cref="BusUnavailableException"/> and
/// <see cref="JobQueueUnavailableException"/> escape, and none of them can turn into a 500.
/// </summary>
/// <remarks>
/// The backend and the queue raise those for transient Redis conditions only (<c>RedisTransientErrors</c>), and
/// log them; anything else is a real failure and stays a 500. A stream whose response has already started cannot
/// change its status; the SSE handler only opens the stream (where Redis is read) before it starts the response.
/// </remarks>
public sealed class BusUnavailableFilter : IEndpointFilter
{
    /// <summary>
    /// Seconds a client is asked to wait: a Redis failover (Sentinel, Cluster) takes a few seconds; a publisher that
    /// retries sooner only adds load to the node that has to refuse it again.
    /// </summary>
    public const int RetryAfterSeconds = 2;

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (ex is BusUnavailableException or JobQueueUnavailableException
            && !context.HttpContext.Response.HasStarted)
        {
            return Answer(context.HttpContext.Response);
        }
    }

    /// <summary>
    /// The <c>503 bus_unavailable</c> answer with <c>Retry-After</c> (also for the single publish, mapped outside the
    /// group); the backend logged the outage.
    /// </summary>
    public static ProblemHttpResult Answer(HttpResponse response)
    {
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return ApiProblems.BusUnavailable();
    }
}
