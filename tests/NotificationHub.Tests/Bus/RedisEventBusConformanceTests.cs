using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Bus;

/// <summary>The conformance suite against a real Redis.</summary>
[Collection("redis")]
public sealed class RedisEventBusConformanceTests(RedisServerFixture redis) : EventBusConformanceTests
{
    // Unique per test class instance (xunit makes one per test), so tests never share keys.
    private readonly string _keyPrefix = $"test:{Guid.NewGuid():N}:";

    protected override IEventBusBackend CreateBackend(EventBusOptions options) =>
        new RedisEventBusBackend(redis.Redis, Options.Create(new RedisBusOptions { KeyPrefix = _keyPrefix }),
            Options.Create(options), NullLogger<RedisEventBusBackend>.Instance);
}
