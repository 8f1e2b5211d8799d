using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>The SSE endpoint on the embedded in-memory bus.</summary>
public sealed class InMemorySseEndpointTests : SseEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null) => HubServer.StartAsync(settings);
}
