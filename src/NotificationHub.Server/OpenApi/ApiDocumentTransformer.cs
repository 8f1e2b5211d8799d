using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace NotificationHub.Server.OpenApi;

/// <summary>
/// The document's shared parts (the problem schema, the bearer scheme) and the endpoints that are not route handlers
/// and so are not in ASP.NET Core's API description: the SignalR hub's HTTP requests, health and metrics.
/// </summary>
internal sealed class ApiDocumentTransformer : IOpenApiDocumentTransformer
{
    private const string ProblemSchema = "ApiProblem";
    private const string BearerScheme = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "NotificationHub";
        document.Info.Description = "Real-time BOM enrichment progress: SSE, the SignalR hub (`/hubs/enrichment`), publishing and status. "
            + "The wire contract and every error code: docs/protocol.md.";
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details with a stable `code` (docs/protocol.md §6).",
            Required = new HashSet<string> { "type", "title", "status", "code" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["code"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["job_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "`job_running` only: the running job." },
            },
        };
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A user token (tenant claim) or a publisher token (scope `enrichment:publish`).",
        };

        document.Paths ??= [];
        AddPath(document, "/hubs/enrichment/negotiate", HttpMethod.Post, ApiErrorCatalog.HubNegotiate,
            "SignalR negotiation of the enrichment hub (clients do this for you).", "200", "application/json");
        AddPath(document, "/hubs/enrichment", HttpMethod.Get, ApiErrorCatalog.HubTransport,
            "A SignalR transport of a negotiated connection (`?id=`): WebSocket upgrade, SSE or a long poll. Hub methods: "
            + "`SubscribeBom(bomId, lastEventId)`, `UnsubscribeBom(bomId)`; events arrive on `EnrichmentEvent`.", "200", null);
        AddPath(document, "/hubs/enrichment", HttpMethod.Post, ApiErrorCatalog.HubTransport,
            "A long-polling or SSE connection's send (`?id=`).", "200", null);
        AddPath(document, "/hubs/enrichment", HttpMethod.Delete, ApiErrorCatalog.HubTransport,
            "Ends a long-polling connection (`?id=`).", "202", null);
        AddPath(document, "/health/live", HttpMethod.Get, null, "Liveness: the process serves HTTP.", "200", "text/plain");
        AddPath(document, "/health/ready", HttpMethod.Get, null,
            "Readiness: a Redis master answers and the node is not draining; 503 `Unhealthy` otherwise.", "200", "text/plain");
        document.Paths["/health/ready"]!.Operations![HttpMethod.Get].Responses!["503"] = new OpenApiResponse { Description = "Not ready (Redis down, or draining after SIGTERM)." };
        AddPath(document, "/", HttpMethod.Get, null, "The demo page (the built bundle, or how to build it).", "200", "text/html");
        AddPath(document, "/metrics", HttpMethod.Get, null, "Prometheus metrics (docs/operations.md).", "200", "text/plain");
        return Task.CompletedTask;
    }

    /// <summary>Adds one problem+json response per status of <paramref name="errors"/>, its <c>code</c> limited to theirs.</summary>
    internal static void AddProblems(OpenApiOperation operation, IEnumerable<ApiError> errors, OpenApiDocument? document)
    {
        operation.Responses ??= [];
        foreach (var status in errors.GroupBy(error => error.Status))
        {
            var codes = status.Select(error => error.Code).ToList();
            operation.Responses[status.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = string.Join(", ", codes.Select(code => $"`{code}`")) + " (docs/protocol.md §6).",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            AllOf = [new OpenApiSchemaReference(ProblemSchema, document)],
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. codes.Select(code => (JsonNode)JsonValue.Create(code))] },
                            },
                        },
                    },
                },
            };
        }
    }

    /// <summary>Marks <paramref name="operation"/> as needing a bearer token.</summary>
    internal static void RequireBearer(OpenApiOperation operation, OpenApiDocument? document)
    {
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
    }

    private static void AddPath(OpenApiDocument document, string path, HttpMethod method, string? errorsOf, string summary, string okStatus, string? okMediaType)
    {
        if (!document.Paths.TryGetValue(path, out var item))
        {
            item = new OpenApiPathItem();
            document.Paths[path] = item;
        }

        var operation = new OpenApiOperation
        {
            Summary = summary,
            Tags = new HashSet<OpenApiTagReference> { new(path.StartsWith("/hubs", StringComparison.Ordinal) ? "SignalR" : "Operations", document) },
            Responses = new OpenApiResponses
            {
                [okStatus] = new OpenApiResponse
                {
                    Description = "OK",
                    Content = okMediaType is null ? null : new Dictionary<string, OpenApiMediaType> { [okMediaType] = new() },
                },
            },
        };
        if (errorsOf is not null)
        {
            AddProblems(operation, ApiErrorCatalog.ByEndpoint[errorsOf], document);
            RequireBearer(operation, document);
        }

        ((OpenApiPathItem)item).AddOperation(method, operation);
    }
}
