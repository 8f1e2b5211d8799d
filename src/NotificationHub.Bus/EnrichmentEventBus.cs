using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// The event bus every transport and publisher uses. It validates and serializes published events once, keeps
/// one backend subscription per BOM for all local watchers, fans events out to them, and splices replay and live
/// delivery. Transports (SSE, SignalR) are thin adapters over <see cref="OpenStreamAsync(string, string, string?, CancellationToken)"/>; they never see the backend.
/// </summary>
public sealed partial class EnrichmentEventBus
{
    private readonly IEventBusBackend _backend;
    private readonly EventBusOptions _options;
    private readonly ILogger _logger;
    private readonly BusMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idempotencyWindow;

    /// <summary>Creates the bus over a backend.</summary>
    public EnrichmentEventBus(
        IEventBusBackend backend,
        IOptions<EventBusOptions> options,
        ILogger<EnrichmentEventBus> logger,
        BusMetrics metrics,
        TimeProvider time,
        IOptions<PublishOptions>? publishOptions = null)
    {
        _backend = backend;
        _options = options.Value;
        _idempotencyWindow = (publishOptions?.Value ?? new PublishOptions()).IdempotencyWindow;
        _logger = logger;
        _metrics = metrics;
        _time = time;
        _metrics.ObserveQueuedEvents(() => QueuedEventCount);
        _logCheckTimer = StartLogChecks();
    }

    /// <summary>
    /// Publishes an event: validates it, stamps <c>bom_id</c> and <c>created_at</c>, serializes it once, and has the
    /// backend log and broadcast it atomically. The first event of a BOM makes it the publishing tenant's.
    /// </summary>
    /// <returns>The event as delivered, with its id.</returns>
    /// <exception cref="InvalidEventException">The request breaks the contract.</exception>
    /// <exception cref="BomOwnershipException">Another tenant owns the BOM.</exception>
    /// <exception cref="BusUnavailableException">The backend cannot be reached.</exception>
    public ValueTask<BusEvent> PublishAsync(string bomId, PublishEventRequest request, CancellationToken cancellationToken = default) =>
        PublishAsync(bomId, request, null, cancellationToken);

    /// <summary>
    /// Publishes an event as <see cref="PublishAsync(string, PublishEventRequest, CancellationToken)"/>, at most once
    /// per <paramref name="idempotencyKey"/> and BOM within <see cref="PublishOptions.IdempotencyWindow"/>: a repeat
    /// appends nothing and returns the first publish's event id (the returned event carries that id; its other
    /// content is this request's). A publisher that retries after a timeout or a 503 with the same key never
    /// creates a duplicate.
    /// </summary>
    /// <param name="bomId">The BOM.</param>
    /// <param name="request">The event.</param>
    /// <param name="idempotencyKey">Null, or 1 to 128 printable ASCII characters (<see cref="IsValidIdempotencyKey"/>).</param>
    /// <param name="cancellationToken">Cancels the wait (not an append already sent).</param>
    /// <exception cref="InvalidEventException">The request breaks the contract, or the key is malformed.</exception>
    /// <exception cref="BomOwnershipException">Another tenant owns the BOM.</exception>
    /// <exception cref="BusUnavailableException">The backend cannot be reached, or the event is not known to be replicated.</exception>
    public async ValueTask<BusEvent> PublishAsync(string bomId, PublishEventRequest request, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var payload = request.Payload is { ValueKind: not System.Text.Json.JsonValueKind.Null and not System.Text.Json.JsonValueKind.Undefined } p ? p : (System.Text.Json.JsonElement?)null;
        var template = Prepare(bomId, request.EventType, request.TenantId, request.State, payload, default, request.Error, idempotencyKey,
            out var eventType, out var tenantId);
        var eventId = await AppendAsync(bomId, tenantId, eventType, template, idempotencyKey, cancellationToken);
        return new BusEvent(eventId, eventType, bomId, tenantId, EnvelopeTemplate.WithEventId(template, eventId));
    }

    /// <summary>
    /// Publishes an event read from a request body (<see cref="PublishEventJson"/>) as
    /// <see cref="PublishAsync(string, PublishEventRequest, string?, CancellationToken)"/> does, by the same rules and
    /// into the same envelope bytes, without an intermediate <see cref="PublishEventRequest"/>: the envelope is written
    /// before this method returns, so the body may be released as soon as it has. Returns only the event's id, which
    /// is all the HTTP API answers with: no copy of the envelope is made for the caller.
    /// </summary>
    /// <param name="bomId">The BOM.</param>
    /// <param name="request">The event as read from the body.</param>
    /// <param name="idempotencyKey">Null, or 1 to 128 printable ASCII characters (<see cref="IsValidIdempotencyKey"/>).</param>
    /// <param name="cancellationToken">Cancels the wait (not an append already sent).</param>
    /// <returns>The event's id (the first publish's for a repeat); faulted as the other overload's.</returns>
    public ValueTask<string> PublishAsync(string bomId, scoped in PublishEventJson request, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        byte[] template;
        string eventType, tenantId;
        try
        {
            template = Prepare(bomId, request.EventType, request.TenantId, request.State, null, request.Payload, request.Error, idempotencyKey,
                out eventType, out tenantId);
        }
        catch (InvalidEventException ex)
        {
            return ValueTask.FromException<string>(ex);
        }

        return AppendAsync(bomId, tenantId, eventType, template, idempotencyKey, cancellationToken);
    }

    // Validates an event and writes its envelope template (the payload is an element or JSON text, not both).
    private byte[] Prepare(string bomId, string? requestEventType, string? requestTenantId, EnrichmentProgressState? state,
        System.Text.Json.JsonElement? payload, ReadOnlySpan<byte> payloadJson, string? error, string? idempotencyKey,
        out string eventType, out string tenantId)
    {
        if (idempotencyKey is not null && !IsValidIdempotencyKey(idempotencyKey))
        {
            throw new InvalidEventException("An idempotency key is 1 to 128 printable ASCII characters.");
        }

        if (!BomIds.IsValid(bomId))
        {
            throw new InvalidEventException($"Invalid BOM id: expected {BomIds.Rule}.");
        }

        eventType = EnrichmentEventNames.Normalize(requestEventType)
            ?? throw new InvalidEventException(
                $"Unknown event_type; expected one of: {string.Join(", ", EnrichmentEventNames.BusEventTypes)}.");
        if (string.IsNullOrEmpty(requestTenantId) || !EventTokens.IsSafe(requestTenantId))
        {
            throw new InvalidEventException("tenant_id is required: 1 to 128 printable ASCII characters.");
        }

        tenantId = requestTenantId;
        if (eventType == EnrichmentEventNames.Progress && state is null)
        {
            throw new InvalidEventException("A progress event needs a state.");
        }

        var now = _time.GetUtcNow();
        byte[] template;
        try
        {
            template = EnvelopeTemplate.Build(eventType, bomId, tenantId, now,
                state is null ? null : ProgressStateRules.Normalize(bomId, eventType, state, now), payload, payloadJson,
                eventType == EnrichmentEventNames.Failed ? error ?? "Enrichment failed" : null);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            // JSON text may hold escapes that are no Unicode text (a lone UTF-16 surrogate, "\ud800") in a payload,
            // which the writer refuses: the publisher's mistake, not the server's.
            throw new InvalidEventException("The event cannot be written as JSON: a string holds an invalid escape (such as a lone UTF-16 surrogate).", ex);
        }

        if (template.Length > _options.MaxEventBytes)
        {
            throw new InvalidEventException($"The event is {template.Length} bytes; at most {_options.MaxEventBytes} are accepted.");
        }

        return template;
    }

    // Pooled: the append nearly always completes asynchronously (a Redis round trip), and its box was allocated
    // per publish; every caller awaits the ValueTask once (docs/benchmarks.md, "fourth round").
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<string> AppendAsync(string bomId, string tenantId, string eventType, byte[] template, string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        using var activity = BusTracing.StartPublish(bomId, eventType, tenantId);
        var pending = new PendingEvent(bomId, tenantId, eventType, template)
        {
            IdempotencyKey = idempotencyKey,
            IdempotencyWindow = _idempotencyWindow,
            TraceParent = BusTracing.TraceParentOf(activity),
        };
        string eventId;
        try
        {
            eventId = await _backend.AppendAsync(pending, cancellationToken);
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }

        activity?.SetTag(BusTracing.EventIdAttribute, eventId);
        _metrics.Published.Add(1);
        return eventId;
    }

    /// <summary>True for a well-formed idempotency key: 1 to 128 printable ASCII characters (the HTTP API's rule too).</summary>
    public static bool IsValidIdempotencyKey(string? key) => !string.IsNullOrEmpty(key) && EventTokens.IsSafe(key);

    /// <summary>Makes <paramref name="tenantId"/> the owner of an unowned BOM; false when another tenant owns it.</summary>
    public ValueTask<bool> ClaimAsync(string bomId, string tenantId, CancellationToken cancellationToken = default) =>
        _backend.ClaimAsync(bomId, tenantId, cancellationToken);

    /// <summary>
    /// The BOM as <paramref name="tenantId"/> may see it: null when unknown <em>or owned by another tenant</em>,
    /// so callers answer both the same way and nobody learns that another tenant's BOM exists.
    /// </summary>
    public async ValueTask<BomInfo?> GetBomForTenantAsync(string bomId, string tenantId, CancellationToken cancellationToken = default)
    {
        var bom = await _backend.GetBomAsync(bomId, cancellationToken);
        return bom is not null && string.Equals(bom.TenantId, tenantId, StringComparison.Ordinal) ? bom : null;
    }
}
