using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// The event bus every transport and publisher uses. It validates and serializes published events once, keeps
/// one backend subscription per BOM for all local watchers, fans events out to them, and splices replay and live
/// delivery. Transports (SSE, SignalR) are thin adapters over <see cref="OpenStreamAsync"/>; they never see the backend.
/// </summary>
public sealed partial class EnrichmentEventBus
{
    private readonly IEventBusBackend _backend;
    private readonly EventBusOptions _options;
    private readonly ILogger _logger;
    private readonly BusMetrics _metrics;
    private readonly TimeProvider _time;

    /// <summary>Creates the bus over a backend.</summary>
    public EnrichmentEventBus(
        IEventBusBackend backend,
        IOptions<EventBusOptions> options,
        ILogger<EnrichmentEventBus> logger,
        BusMetrics metrics,
        TimeProvider time)
    {
        _backend = backend;
        _options = options.Value;
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
    public async ValueTask<BusEvent> PublishAsync(string bomId, PublishEventRequest request, CancellationToken cancellationToken = default)
    {
        if (!BomIds.IsValid(bomId))
        {
            throw new InvalidEventException($"Invalid BOM id: expected {BomIds.Rule}.");
        }

        var eventType = EnrichmentEventNames.Normalize(request.EventType)
            ?? throw new InvalidEventException(
                $"Unknown event_type; expected one of: {string.Join(", ", EnrichmentEventNames.BusEventTypes)}.");
        var tenantId = request.TenantId;
        if (string.IsNullOrEmpty(tenantId) || !ChannelMessageReader.IsSafeToken(tenantId))
        {
            throw new InvalidEventException("tenant_id is required: 1 to 128 printable ASCII characters.");
        }

        if (eventType == EnrichmentEventNames.Progress && request.State is null)
        {
            throw new InvalidEventException("A progress event needs a state.");
        }

        var now = _time.GetUtcNow();
        var envelope = new EnrichmentEnvelope
        {
            EventId = "",
            EventType = eventType,
            BomId = bomId,
            TenantId = tenantId,
            CreatedAt = now,
            State = request.State is null ? null : NormalizeState(bomId, eventType, request.State, now),
            Payload = request.Payload is { ValueKind: not System.Text.Json.JsonValueKind.Null and not System.Text.Json.JsonValueKind.Undefined } p ? p : null,
            Error = eventType == EnrichmentEventNames.Failed ? request.Error ?? "Enrichment failed" : null,
        };

        var template = EnrichmentJson.SerializeEnvelope(envelope);
        if (template.Length > _options.MaxEventBytes)
        {
            throw new InvalidEventException($"The event is {template.Length} bytes; at most {_options.MaxEventBytes} are accepted.");
        }

        var published = await _backend.AppendAsync(new PendingEvent(bomId, tenantId, eventType, template), cancellationToken);
        _metrics.Published.Add(1);
        return published;
    }

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

    private static EnrichmentProgressState NormalizeState(string bomId, string eventType, EnrichmentProgressState state, DateTimeOffset now)
    {
        var status = string.IsNullOrEmpty(state.Status) ? EnrichmentStatus.ForEventType(eventType) : state.Status;
        return state with { BomId = bomId, Status = status, UpdatedAt = state.UpdatedAt ?? now };
    }
}
