using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Jobs;

namespace NotificationHub.Server.Http;

/// <summary>Bounds the request body of an API endpoint (<see cref="RequestBodyOptions"/>).</summary>
public static class RequestBodyLimits
{
    /// <summary>Adds <see cref="RequestBodyOptions"/> (defaults sized from the bus and job limits) and the answer to Kestrel's refusals.</summary>
    public static IServiceCollection AddRequestBodyLimits(this IServiceCollection services)
    {
        services.AddOptions<RequestBodyOptions>()
            .BindConfiguration(RequestBodyOptions.SectionName)
            .PostConfigure<IOptions<EventBusOptions>, IOptions<Jobs.JobEndpointOptions>>((options, bus, jobs) =>
            {
                options.PublishMaxBytes ??= 4L * bus.Value.MaxEventBytes;
                options.PublishBatchMaxBytes ??= Math.Max(1L << 20, options.PublishMaxBytes.Value);
                options.StartMaxBytes ??= 512L * jobs.Value.MaxItemsPerJob + 1024;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        return services;
    }

    /// <summary>The configured limits, for mapping endpoints.</summary>
    public static RequestBodyOptions GetRequestBodyLimits(this IEndpointRouteBuilder endpoints) =>
        endpoints.ServiceProvider.GetRequiredService<IOptions<RequestBodyOptions>>().Value;

    /// <summary>
    /// Refuses a declared <c>Content-Length</c> over <paramref name="maxBytes"/> with <c>413 request_too_large</c> before
    /// the body is read, and has Kestrel enforce the same limit while a chunked body is read (its
    /// <see cref="BadHttpRequestException"/> is answered by <see cref="BadRequestExceptionHandler"/>).
    /// </summary>
    /// <param name="builder">The endpoint.</param>
    /// <param name="maxBytes">Largest accepted body, in bytes.</param>
    public static TBuilder WithRequestBodyLimit<TBuilder>(this TBuilder builder, long maxBytes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            Apply(context.HttpContext, maxBytes) is { } refusal ? refusal : await next(context));

    /// <summary>
    /// What <see cref="WithRequestBodyLimit"/> does before the handler runs, for a handler that reads its body itself
    /// without endpoint filters: the refusal to answer, or null to go on.
    /// </summary>
    internal static ProblemHttpResult? Apply(HttpContext http, long maxBytes)
    {
        // Read-only once the body was read; the handlers this guards read it only after this. Set before a refusal
        // too: Kestrel then closes the connection instead of draining the refused body after the answer.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        return http.Request.ContentLength > maxBytes
            ? BadRequestExceptionHandler.Refuse(http, ApiProblems.RequestTooLarge(maxBytes))
            : null;
    }
}
