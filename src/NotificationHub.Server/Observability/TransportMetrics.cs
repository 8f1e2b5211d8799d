using System.Diagnostics.Metrics;

namespace NotificationHub.Server.Observability;

/// <summary>Instruments of the transports (meter <see cref="MeterName"/>).</summary>
public sealed class TransportMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "NotificationHub.Transports";

    /// <summary>Tag naming the transport: <c>sse</c> or <c>signalr</c>.</summary>
    public const string TransportTag = "transport";

    private readonly Meter _meter;

    /// <summary>Creates the instruments.</summary>
    public TransportMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        OpenConnections = _meter.CreateUpDownCounter<long>("notificationhub.connections.open", description: "Open client streams/connections by transport.");
    }

    /// <summary>Open connections, tagged by transport.</summary>
    public UpDownCounter<long> OpenConnections { get; }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
