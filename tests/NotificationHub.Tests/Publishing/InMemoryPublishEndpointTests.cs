using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Publishing;

/// <summary>The single publishing API on the embedded in-memory bus.</summary>
public sealed class InMemoryPublishEndpointTests : PublishEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync() => HubServer.StartAsync();
}
