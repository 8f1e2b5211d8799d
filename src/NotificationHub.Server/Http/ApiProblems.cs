using Microsoft.AspNetCore.Http.HttpResults;

namespace NotificationHub.Server.Http;

/// <summary>
/// Every error the HTTP API answers, as RFC 9457 problem+json with a stable <c>code</c> extension that
/// clients can switch on. docs/protocol.md lists them.
/// </summary>
public static class ApiProblems
{
    /// <summary>Problem type URIs are relative to this.</summary>
    public const string TypeBase = "https://notificationhub.dev/problems/";

    /// <summary>400: malformed BOM id.</summary>
    public static ProblemHttpResult InvalidBomId() => InvalidBomId($"A BOM id is {Contracts.BomIds.Rule}.");

    /// <summary>400: malformed BOM id, or a multi-BOM stream request without BOMs or with too many.</summary>
    public static ProblemHttpResult InvalidBomId(string detail) =>
        Create(StatusCodes.Status400BadRequest, "invalid_bom_id", "Invalid BOM id", detail);

    /// <summary>400: a multi-BOM stream's <c>Last-Event-ID</c> that is not a cursor of the requested BOMs (docs/protocol.md §3.4).</summary>
    public static ProblemHttpResult InvalidCursor() =>
        Create(StatusCodes.Status400BadRequest, "invalid_cursor", "Invalid cursor",
            "Last-Event-ID must be a cursor of this stream's BOMs: m1 then ,{bom_id}={log_id} per BOM, each BOM of the request at most once.");

    /// <summary>400: body breaks the contract.</summary>
    public static ProblemHttpResult InvalidEvent(string detail) =>
        Create(StatusCodes.Status400BadRequest, "invalid_event", "Invalid event", detail);

    /// <summary>400: a batch publish body that is no batch: not JSON, no events, or more than <c>Publish:MaxBatchEvents</c>.</summary>
    public static ProblemHttpResult InvalidBatch(string detail) =>
        Create(StatusCodes.Status400BadRequest, "invalid_batch", "Invalid batch", detail);

    /// <summary>401: no valid token.</summary>
    public static ProblemHttpResult Unauthorized(string detail) =>
        Create(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", detail);

    /// <summary>403: valid token, insufficient rights.</summary>
    public static ProblemHttpResult Forbidden(string detail) =>
        Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    /// <summary>404: unknown BOM, or another tenant's (indistinguishable on purpose).</summary>
    public static ProblemHttpResult BomNotFound() =>
        Create(StatusCodes.Status404NotFound, "bom_not_found", "BOM not found", "No BOM with this id is visible to your tenant.");

    /// <summary>409: the BOM belongs to another tenant (publishers only; they are trusted services).</summary>
    public static ProblemHttpResult TenantMismatch() =>
        Create(StatusCodes.Status409Conflict, "tenant_mismatch", "Tenant mismatch", "The BOM belongs to another tenant.");

    /// <summary>400: a start request breaks the rules (no items, too many, malformed MPN).</summary>
    public static ProblemHttpResult InvalidJob(string detail) =>
        Create(StatusCodes.Status400BadRequest, "invalid_job", "Invalid enrichment request", detail);

    /// <summary>409: the BOM's enrichment is already running; <c>job_id</c> names it.</summary>
    public static ProblemHttpResult JobAlreadyRunning(string jobId)
    {
        var problem = Create(StatusCodes.Status409Conflict, "job_running", "Enrichment already running",
            "This BOM's enrichment is already running.");
        problem.ProblemDetails.Extensions["job_id"] = jobId;
        return problem;
    }

    /// <summary>404: nothing to cancel.</summary>
    public static ProblemHttpResult NoRunningJob() =>
        Create(StatusCodes.Status404NotFound, "no_running_job", "No running job", "No enrichment of this BOM is running.");

    /// <summary>429: a connection limit was reached.</summary>
    public static ProblemHttpResult RateLimited(int retryAfterSeconds) =>
        Create(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many connections",
            $"A connection limit was reached; retry in {retryAfterSeconds} s.");

    /// <summary>404: no hub connection with this token is open for the caller (unknown, ended, or another principal's).</summary>
    public static ProblemHttpResult HubConnectionNotFound() =>
        Create(StatusCodes.Status404NotFound, "connection_not_found", "Connection not found",
            "No hub connection with this id is open for your token; negotiate a new one.");

    /// <summary>503: the bus backend (or the job queue's Redis) is unreachable, stalled or failing over; <see cref="BusUnavailableFilter"/> adds <c>Retry-After</c>.</summary>
    public static ProblemHttpResult BusUnavailable() =>
        Create(StatusCodes.Status503ServiceUnavailable, "bus_unavailable", "Event bus unavailable", "The event bus cannot be reached; retry later.");

    /// <summary>413: the request body is over the endpoint's limit (<see cref="RequestBodyOptions"/>); refused unread.</summary>
    public static ProblemHttpResult RequestTooLarge(long? maxBytes) =>
        Create(StatusCodes.Status413PayloadTooLarge, "request_too_large", "Request body too large",
            maxBytes is { } max ? $"The request body is over {max} bytes, the most this endpoint accepts." : "The request body is too large.");

    /// <summary>408: the request body arrived slower than the server's minimum data rate.</summary>
    public static ProblemHttpResult RequestTimeout() =>
        Create(StatusCodes.Status408RequestTimeout, "request_timeout", "Request body too slow",
            "The request body arrived slower than the server's minimum data rate.");

    /// <summary>400: the request itself is malformed at the HTTP level (for example its chunked encoding).</summary>
    public static ProblemHttpResult BadRequest(string detail) =>
        Create(StatusCodes.Status400BadRequest, "bad_request", "Bad request", detail);

    /// <summary>400: an <c>Idempotency-Key</c> header that is not one value of 1 to 128 printable ASCII characters.</summary>
    public static ProblemHttpResult InvalidIdempotencyKey() =>
        Create(StatusCodes.Status400BadRequest, "invalid_idempotency_key", "Invalid idempotency key",
            "Idempotency-Key must be one value of 1 to 128 printable ASCII characters (optionally in double quotes).");

    /// <summary>400: a dev token request with a malformed tenant, subject or lifetime (Development only).</summary>
    public static ProblemHttpResult InvalidDevTokenRequest(string detail) =>
        Create(StatusCodes.Status400BadRequest, "invalid_dev_token_request", "Invalid dev token request", detail);

    /// <summary>503: dev tokens need <c>Auth:SigningKey</c> (Development with only <c>Auth:Authority</c>).</summary>
    public static ProblemHttpResult DevTokensUnavailable() =>
        Create(StatusCodes.Status503ServiceUnavailable, "dev_tokens_unavailable", "Dev tokens unavailable",
            "Minting local tokens needs Auth:SigningKey.");

    /// <summary>A caller-supplied value made safe for a log line: truncated, control characters replaced.</summary>
    public static string ForLog(string value)
    {
        var head = value.Length > 64 ? value[..64] + "…" : value;
        return string.Create(head.Length, head, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }

    private static ProblemHttpResult Create(int status, string code, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: TypeBase + code,
            extensions: new Dictionary<string, object?> { ["code"] = code });
}
