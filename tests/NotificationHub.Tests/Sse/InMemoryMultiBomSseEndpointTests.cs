using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>The multi-BOM SSE stream on the embedded in-memory bus.</summary>
public sealed class InMemoryMultiBomSseEndpointTests : MultiBomSseEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null) => HubServer.StartAsync(settings);
}
