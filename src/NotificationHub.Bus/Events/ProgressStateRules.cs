using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// The contract's rules for a progress state (docs/protocol.md §2.3), applied in one place to every publisher's state:
/// the publishing API, in-process workers and legacy channel messages alike.
/// </summary>
public static class ProgressStateRules
{
    /// <summary>
    /// Completes a state as the contract defines it: <c>bom_id</c>; <c>status</c> from the event type when absent;
    /// <c>processed_items = enriched_items + error_items</c> when absent (0) and <c>percent_complete</c> from
    /// <c>processed_items / total_items</c> when absent (0), so a publisher that sends only the counts is not shown at 0 %.
    /// </summary>
    /// <param name="bomId">The BOM.</param>
    /// <param name="eventType">The event's type (the default status).</param>
    /// <param name="state">The state as published.</param>
    /// <param name="updatedAt">The <c>updated_at</c> to set when the state has none (null: left as it is); set in the
    /// same copy, so a published state is copied once, not twice.</param>
    /// <exception cref="InvalidEventException">A count is negative, or a number is not finite or out of its range.</exception>
    public static EnrichmentProgressState Normalize(string bomId, string eventType, EnrichmentProgressState state, DateTimeOffset? updatedAt = null)
    {
        if (state.TotalItems < 0 || state.ProcessedItems < 0 || state.EnrichedItems < 0 || state.ErrorItems < 0)
        {
            throw new InvalidEventException("Item counts cannot be negative.");
        }

        // 1e400 parses as infinity, which JSON cannot carry: refused here rather than failing the serializer.
        if (!double.IsFinite(state.PercentComplete) || state.PercentComplete is < 0 or > 100)
        {
            throw new InvalidEventException("percent_complete must be a number from 0 to 100.");
        }

        if (state.EstimatedTimeRemaining is { } eta && (!double.IsFinite(eta) || eta < 0))
        {
            throw new InvalidEventException("estimated_time_remaining must be a finite number of seconds, 0 or more.");
        }

        var processed = state.ProcessedItems;
        if (processed == 0)
        {
            var sum = (long)state.EnrichedItems + state.ErrorItems;
            processed = sum <= int.MaxValue ? (int)sum : throw new InvalidEventException("enriched_items + error_items is too large.");
        }

        var percent = state.PercentComplete == 0 && processed > 0 && state.TotalItems > 0
            ? Math.Min(100, Math.Round(100.0 * processed / state.TotalItems, 2))
            : state.PercentComplete;
        var status = string.IsNullOrEmpty(state.Status) ? EnrichmentStatus.ForEventType(eventType) : state.Status;
        return state with { BomId = bomId, Status = status, ProcessedItems = processed, PercentComplete = percent, UpdatedAt = state.UpdatedAt ?? updatedAt };
    }
}
