namespace NotificationHub.Server.OpenApi;

/// <summary>
/// Which problem+json answers (status and <c>code</c>) each endpoint can give, by endpoint name: the OpenAPI document
/// is written from it. It restates docs/protocol.md §6 per endpoint; <c>OpenApiDocumentTests</c> checks that every row
/// of that table is here.
/// </summary>
public static class ApiErrorCatalog
{
    /// <summary>The hub's negotiate request (<c>POST /hubs/enrichment/negotiate</c>).</summary>
    public const string HubNegotiate = "HubNegotiate";

    /// <summary>A request of a hub transport (<c>/hubs/enrichment?id=</c>: WebSocket, SSE, long poll, send, delete).</summary>
    public const string HubTransport = "HubTransport";

    private static readonly ApiError[] Token = [new(401, "unauthorized"), new(403, "forbidden")];
    private static readonly ApiError[] Bus = [new(503, "bus_unavailable")];
    private static readonly ApiError[] Body = [new(400, "bad_request"), new(408, "request_timeout"), new(413, "request_too_large")];

    /// <summary>Errors per endpoint name (<c>WithName</c>, or the two hub names above).</summary>
    public static IReadOnlyDictionary<string, ApiError[]> ByEndpoint { get; } = new Dictionary<string, ApiError[]>
    {
        ["EnrichmentStream"] = [new(400, "invalid_bom_id"), .. Token, new(404, "bom_not_found"), new(429, "rate_limited"), .. Bus],
        ["MultiBomEnrichmentStream"] =
        [
            new(400, "invalid_bom_id"), new(400, "invalid_cursor"), .. Token, new(404, "bom_not_found"), new(429, "rate_limited"), .. Bus,
        ],
        ["PublishEnrichmentEvent"] =
        [
            new(400, "invalid_bom_id"), new(400, "invalid_event"), new(400, "invalid_idempotency_key"), .. Body, .. Token,
            new(409, "tenant_mismatch"), .. Bus,
        ],
        // Per-event refusals (and a 503 for one event) are results inside the 200 answer, not answers of the request.
        ["PublishEnrichmentEvents"] = [new(400, "invalid_batch"), .. Body, .. Token],
        ["EnrichmentStatus"] = [new(400, "invalid_bom_id"), .. Token, new(404, "bom_not_found"), .. Bus],
        ["StartEnrichment"] = [new(400, "invalid_bom_id"), new(400, "invalid_job"), .. Body, .. Token, new(404, "bom_not_found"), new(409, "job_running"), .. Bus],
        ["CancelEnrichment"] = [new(400, "invalid_bom_id"), .. Token, new(404, "bom_not_found"), new(404, "no_running_job"), .. Bus],
        ["DevToken"] = [new(400, "invalid_dev_token_request"), new(503, "dev_tokens_unavailable")],
        [HubNegotiate] = [new(401, "unauthorized"), new(429, "rate_limited")],
        [HubTransport] = [new(401, "unauthorized"), new(404, "connection_not_found"), new(429, "rate_limited")],
    };
}
