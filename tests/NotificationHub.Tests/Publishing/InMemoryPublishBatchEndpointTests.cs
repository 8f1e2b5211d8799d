using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Publishing;

/// <summary>The batch publishing API on the embedded in-memory bus.</summary>
public sealed class InMemoryPublishBatchEndpointTests : PublishBatchEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null) => HubServer.StartAsync(settings);
}
