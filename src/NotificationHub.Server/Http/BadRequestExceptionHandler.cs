using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace NotificationHub.Server.Http;

/// <summary>
/// Answers what Kestrel refuses while a handler reads the request body (<see cref="BadHttpRequestException"/>: a body
/// over the endpoint's limit, one trickled slower than Kestrel's <c>MinRequestBodyDataRate</c>, malformed chunking)
/// with its 4xx as problem+json, instead of the 500 of an unhandled exception. Logged once, at information level.
/// </summary>
internal sealed class BadRequestExceptionHandler(ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        var problem = bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => ApiProblems.RequestTooLarge(
                httpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize),
            StatusCodes.Status408RequestTimeout => ApiProblems.RequestTimeout(),
            _ => ApiProblems.BadRequest(bad.Message),
        };
        await Refuse(httpContext, problem, logger).ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>Logs a refused request body once and returns the answer.</summary>
    internal static ProblemHttpResult Refuse(HttpContext httpContext, ProblemHttpResult problem, ILogger? logger = null)
    {
        logger ??= httpContext.RequestServices.GetRequiredService<ILogger<BadRequestExceptionHandler>>();
        HttpLog.BodyRefused(logger, problem.StatusCode, (string)problem.ProblemDetails.Extensions["code"]!,
            httpContext.Request.Method, ApiProblems.ForLog(httpContext.Request.Path.Value ?? ""));
        return problem;
    }
}
