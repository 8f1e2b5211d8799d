using System.Diagnostics;
using System.Text;

namespace NotificationHub.Bus;

/// <summary>
/// The bus's spans (activity source <see cref="SourceName"/>), from a publish to each node's fan-out:
/// <list type="bullet">
/// <item><see cref="PublishSpanName"/> (producer): one per accepted publish, a child of the caller's current activity
/// (the publish request's server span, or the worker's); its context travels with the event (<see cref="TraceContextFrame"/>);</item>
/// <item><see cref="ReceiveSpanName"/> (consumer): one per live traced event per node that has subscribers of the BOM, a
/// new trace <em>linked</em> to the publish span (one publish fans out to many nodes, so it is no parent), tagged with the
/// number of local subscribers it was queued to.</item>
/// </list>
/// Nothing is created or allocated unless a listener samples the source (<see cref="ActivitySource.HasListeners"/>).
/// </summary>
public static class BusTracing
{
    /// <summary>The activity source's name, for OpenTelemetry registration (<c>AddSource</c>).</summary>
    public const string SourceName = "NotificationHub.Bus";

    /// <summary>Name of the span of one publish.</summary>
    public const string PublishSpanName = "publish enrichment";

    /// <summary>Name of the span of one live event's fan-out on one node.</summary>
    public const string ReceiveSpanName = "receive enrichment";

    /// <summary>The BOM (span attribute, both spans).</summary>
    public const string BomIdAttribute = "messaging.destination.name";

    /// <summary>The event id (span attribute, both spans; on the publish span once the log assigned it).</summary>
    public const string EventIdAttribute = "messaging.message.id";

    /// <summary>The event type (span attribute, both spans).</summary>
    public const string EventTypeAttribute = "notificationhub.event_type";

    /// <summary>The publishing tenant (span attribute, both spans).</summary>
    public const string TenantIdAttribute = "notificationhub.tenant_id";

    /// <summary>Local subscribers the event was queued to (receive span).</summary>
    public const string SubscribersAttribute = "notificationhub.subscribers";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the publish span, or returns null when nobody listens (the common, free case).</summary>
    internal static Activity? StartPublish(string bomId, string eventType, string tenantId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // Tags given at creation so that samplers see them.
        return Source.StartActivity(PublishSpanName, ActivityKind.Producer, parentContext: default,
            tags: [
                new("messaging.system", "notificationhub"),
                new("messaging.operation.type", "send"),
                new(BomIdAttribute, bomId),
                new(EventTypeAttribute, eventType),
                new(TenantIdAttribute, tenantId),
            ]);
    }

    /// <summary>The W3C <c>traceparent</c> to send with the event, or null when the publish is not traced.</summary>
    internal static string? TraceParentOf(Activity? publish) =>
        publish is { IdFormat: ActivityIdFormat.W3C, Id: { Length: TraceContextFrame.TraceParentLength } id } ? id : null;

    /// <summary>
    /// Starts the receive span of a live event, linked to the publish span in <paramref name="traceParent"/>, or returns
    /// null when nobody listens or the message carried no trace context: an untraced publish (not sampled, or from a
    /// producer that does not trace) has no receive spans either, so their volume follows the publishers' sampling.
    /// It is a root whatever activity is current (the in-memory backend fans out inside the publish), and is not made
    /// current: nothing runs beneath it.
    /// </summary>
    internal static Activity? StartReceive(BusEvent busEvent, ReadOnlySpan<byte> traceParent)
    {
        if (traceParent.IsEmpty || !Source.HasListeners()
            || !ActivityContext.TryParse(Encoding.ASCII.GetString(traceParent), null, out var publish))
        {
            return null;
        }

        ActivityLink[] links = [new ActivityLink(publish)];

        var current = Activity.Current;
        Activity.Current = null;
        var receive = Source.StartActivity(ReceiveSpanName, ActivityKind.Consumer, parentContext: default,
            tags: [
                new("messaging.system", "notificationhub"),
                new("messaging.operation.type", "receive"),
                new(BomIdAttribute, busEvent.BomId),
                new(EventIdAttribute, busEvent.EventId),
                new(EventTypeAttribute, busEvent.EventType),
                new(TenantIdAttribute, busEvent.TenantId),
            ],
            links: links);
        Activity.Current = current;
        return receive;
    }
}
