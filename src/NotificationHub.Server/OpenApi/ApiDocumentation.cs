using Scalar.AspNetCore;

namespace NotificationHub.Server.OpenApi;

/// <summary>The OpenAPI document (<c>/openapi/v1.json</c>, every environment) and its interactive reference (Development only).</summary>
public static class ApiDocumentation
{
    /// <summary>Path of the document.</summary>
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>Registers the document's generator and transformers.</summary>
    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer<ApiDocumentTransformer>();
            options.AddOperationTransformer<ApiOperationTransformer>();
        });

    /// <summary>Maps the document (anonymous: it describes the API, not a tenant's data) and, in Development, Scalar at <c>/scalar</c>.</summary>
    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference().AllowAnonymous();
        }

        return app;
    }
}
