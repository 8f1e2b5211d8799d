namespace NotificationHub.LoadTest;

/// <summary>One SignalR connection watching one BOM: the real .NET client (<see cref="SignalRSubscriber"/>) or the raw one (<see cref="RawSignalRSubscriber"/>).</summary>
internal interface ISignalRSubscriber : IAsyncDisposable
{
    /// <summary>Connects and subscribes; false (and counted as a connect error) on failure.</summary>
    Task<bool> StartAsync(string bomId, CancellationToken cancel);
}
