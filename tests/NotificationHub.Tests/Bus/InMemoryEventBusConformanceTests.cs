using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.InMemory;

namespace NotificationHub.Tests.Bus;

/// <summary>The conformance suite against the embedded backend.</summary>
public sealed class InMemoryEventBusConformanceTests : EventBusConformanceTests
{
    protected override IEventBusBackend CreateBackend(EventBusOptions options) =>
        new InMemoryEventBusBackend(Options.Create(options), TimeProvider.System);
}
