using Microsoft.AspNetCore.Http.HttpResults;
using NotificationHub.Contracts;

namespace NotificationHub.Server.Http;

/// <summary>
/// Validates the <c>{bom_id}</c> route value, once for every endpoint of the API group whose route has one:
/// <c>400 invalid_bom_id</c> before any handler runs, logged once here.
/// </summary>
internal sealed class BomIdFilter(ILogger<BomIdFilter> logger) : IEndpointFilter
{
    /// <summary>The route parameter.</summary>
    public const string RouteValue = "bom_id";

    /// <summary>Adds the filter to the endpoints of <paramref name="group"/> that take <c>bom_id</c> from their route.</summary>
    public static TBuilder AddTo<TBuilder>(TBuilder group)
        where TBuilder : IEndpointConventionBuilder =>
        group.AddEndpointFilterFactory(static (factory, next) =>
        {
            if (!factory.MethodInfo.GetParameters().Any(p => p.Name == RouteValue))
            {
                return next; // e.g. the batch publish: its items carry their BOM ids
            }

            var filter = ActivatorUtilities.CreateInstance<BomIdFilter>(factory.ApplicationServices);
            return context => filter.InvokeAsync(context, next);
        });

    /// <inheritdoc />
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var bomId = request.RouteValues[RouteValue] as string;
        if (BomIds.IsValid(bomId))
        {
            return next(context);
        }

        return ValueTask.FromResult<object?>(Refuse(logger, request, bomId));
    }

    /// <summary>The <c>400 invalid_bom_id</c> answer, logged once (also for the single publish, mapped outside the group).</summary>
    public static ProblemHttpResult Refuse(ILogger logger, HttpRequest request, string? bomId)
    {
        var problem = ApiProblems.InvalidBomId();
        HttpLog.Refused(logger, problem.StatusCode, problem.ProblemDetails.Type ?? "", request.Method, ApiProblems.ForLog(bomId ?? ""));
        return problem;
    }
}
