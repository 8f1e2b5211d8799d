using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using NotificationHub.Contracts;
using NotificationHub.Server.Jobs;

namespace NotificationHub.Server.OpenApi;

/// <summary>
/// Completes what the endpoints' signatures cannot say: the problem+json answers of <see cref="ApiErrorCatalog"/>,
/// the SSE stream's <c>text/event-stream</c>, bodies the handlers read themselves, headers and the bearer token.
/// </summary>
internal sealed class ApiOperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var name = metadata.OfType<IEndpointNameMetadata>().LastOrDefault()?.EndpointName;
        if (name is null)
        {
            return;
        }

        operation.Responses ??= [];
        switch (name)
        {
            case "EnrichmentStream":
                operation.Description = "WHATWG Server-Sent Events: `retry:`, `connected`, the snapshot or the replayed events, then live "
                    + "events (`progress`, `enrichment.*`), `keepalive` comments every `Stream:KeepAliveInterval`, and `stream_end` "
                    + "with a reason. Resume with `Last-Event-ID` (or `?last_event_id=`). Events: docs/protocol.md §2.";
                operation.Responses["200"] = new OpenApiResponse
                {
                    Description = "The event stream (kept open until `stream_end`).",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                    },
                };
                operation.Responses["204"] = new OpenApiResponse { Description = "Resumed from the terminal event: the client has everything; stop reconnecting." };
                AddParameter(operation, "token", ParameterLocation.Query, "The user's JWT (EventSource cannot send headers); `Authorization: Bearer` works too.");
                AddParameter(operation, "last_event_id", ParameterLocation.Query, "Resume after this event id (the `Last-Event-ID` header wins).");
                AddParameter(operation, "Last-Event-ID", ParameterLocation.Header, "Resume after this event id (sent by EventSource on reconnect).");
                break;
            case "MultiBomEnrichmentStream":
                operation.Description = "Several BOMs' Server-Sent Events over one connection: `retry:`, `connected` listing each BOM "
                    + "(`recovered`, `ended`), then each BOM's events exactly as on its own stream, interleaved; `stream_end` per BOM "
                    + "after its terminal event; the stream closes after the last. Each event's `id:` is a cursor of every BOM's "
                    + "last log id; resume with it as `Last-Event-ID` (or `?last_event_id=`). docs/protocol.md §3.4.";
                operation.Responses["200"] = new OpenApiResponse
                {
                    Description = "The event stream (kept open until every BOM's `stream_end`).",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                    },
                };
                operation.Responses["204"] = new OpenApiResponse { Description = "The cursor names every BOM's terminal event: stop reconnecting." };
                AddParameter(operation, "bom_id", ParameterLocation.Query, "A BOM to watch; repeat it for each (1 to `Sse:MaxBomsPerStream`, default 20).");
                AddParameter(operation, "token", ParameterLocation.Query, "The user's JWT (EventSource cannot send headers); `Authorization: Bearer` works too.");
                AddParameter(operation, "last_event_id", ParameterLocation.Query, "Resume from this cursor (the `Last-Event-ID` header wins).");
                AddParameter(operation, "Last-Event-ID", ParameterLocation.Header, "Resume from this cursor (sent by EventSource on reconnect).");
                break;
            case "PublishEnrichmentEvent":
                operation.RequestBody = await JsonBodyAsync(context, typeof(PublishEventRequest), required: true, cancellationToken);
                AddParameter(operation, "Idempotency-Key", ParameterLocation.Header,
                    "1–128 printable ASCII characters; a retry with the same key answers the first publish's `event_id` and appends nothing.");
                break;
            case "StartEnrichment":
                operation.RequestBody = await JsonBodyAsync(context, typeof(StartJobRequest), required: false, cancellationToken);
                operation.RequestBody.Description = "The BOM's line items; no body runs the previous run's items again (Re-Enrich).";
                break;
        }

        if (ApiErrorCatalog.ByEndpoint.TryGetValue(name, out var errors))
        {
            ApiDocumentTransformer.AddProblems(operation, errors, context.Document);
        }

        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            ApiDocumentTransformer.RequireBearer(operation, context.Document);
        }
    }

    private static async Task<OpenApiRequestBody> JsonBodyAsync(OpenApiOperationTransformerContext context, Type type, bool required, CancellationToken cancellationToken) =>
        new()
        {
            Required = required,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(type, null, cancellationToken) },
            },
        };

    private static void AddParameter(OpenApiOperation operation, string name, ParameterLocation location, string description)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = location,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
    }
}
