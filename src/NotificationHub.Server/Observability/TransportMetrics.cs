using System.Diagnostics.Metrics;

namespace NotificationHub.Server.Observability;

/// <summary>Instruments of the transports (meter <see cref="MeterName"/>).</summary>
public sealed class TransportMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "NotificationHub.Transports";

    /// <summary>Tag naming the transport: <c>sse</c> or <c>signalr</c>.</summary>
    public const string TransportTag = "transport";

    /// <summary>Tag naming why a hub invocation was refused (<c>invalid_bom_id</c>, <c>bom_not_found</c>, ...).</summary>
    public const string ReasonTag = "reason";

    private readonly Meter _meter;

    /// <summary>Creates the instruments.</summary>
    public TransportMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        OpenConnections = _meter.CreateUpDownCounter<long>("notificationhub.connections.open", description: "Open client streams/connections by transport.");
        RefusedInvocations = _meter.CreateCounter<long>("notificationhub.hub.refused_invocations", description: "Hub invocations refused with a hub error, by reason.");
    }

    /// <summary>Hub invocations refused (a <c>HubException</c> to the caller), tagged by <see cref="ReasonTag"/>.</summary>
    public Counter<long> RefusedInvocations { get; }

    /// <summary>Open connections, tagged by transport.</summary>
    public UpDownCounter<long> OpenConnections { get; }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
