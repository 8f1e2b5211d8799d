using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NotificationHub.Contracts;
using NotificationHub.Server.Observability;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// Refused hub invocations, pipelined as a hostile client sends them: each is one terse log line at most (no stack
/// trace, nothing at Warning or above) and is counted by reason in <c>notificationhub.hub.refused_invocations</c>.
/// </summary>
public sealed class RefusedInvocationLogTests
{
    private const int PerKind = 100;

    [Fact]
    public async Task Pipelined_refused_subscriptions_log_one_terse_line_each_and_are_counted_by_reason()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await HubServer.StartAsync(configure: builder =>
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddFilter("NotificationHub", LogLevel.Debug); // as in Development: the refusals are Debug
        });

        // This server's meter only (other tests' servers in this process have meters of the same name).
        var meterFactory = server.Services.GetRequiredService<IMeterFactory>();
        var counted = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "notificationhub.hub.refused_invocations" && instrument.Meter.Scope == meterFactory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == TransportMetrics.ReasonTag)
                {
                    counted.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
                }
            }
        });
        listener.Start();

        await server.PublishAsync("bom-globex", "globex", EnrichmentEventNames.Started);
        await using var client = await HubClient.ConnectAsync(server, server.Token("acme"), transport: HttpTransportType.WebSockets);
        var before = logs.Entries.Count;

        // Pipelined: every call is on the wire before the first answer.
        var calls = Enumerable.Range(0, PerKind).SelectMany(i => new[]
        {
            client.Connection.InvokeAsync<object>("SubscribeBom", $"bad*id{i}", null),
            client.Connection.InvokeAsync<object>("SubscribeBom", "bom-globex", null), // another tenant's: not found
        }).ToList();
        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<HubException>(() => call.Bounded());
            Assert.DoesNotContain("   at ", error.Message, StringComparison.Ordinal);
        }

        var entries = logs.Entries.Skip(before).ToList();
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Warning);
        Assert.DoesNotContain(entries, e => e.Exception is not null || e.Message.Contains("   at ", StringComparison.Ordinal));
        // The hub's own lines about invocations: the bus may log a topic's Debug lines meanwhile, and the connection's
        // own "opened" line can land after the client saw the handshake; neither is about refusals.
        var hubEntries = entries.Where(e => !e.Category.StartsWith("NotificationHub.Bus", StringComparison.Ordinal) && e.EventId.Name != "Connected").ToList();
        Assert.True(hubEntries.Count <= calls.Count,
            $"{hubEntries.Count} log entries for {calls.Count} refused calls: {string.Join("; ", hubEntries.Where(e => e.EventId.Id != 304).Select(e => $"{e.Category} {e.EventId} {e.Message}"))}");
        Assert.Equal(calls.Count, entries.Count(e => e.EventId.Id == 304)); // one each, with its reason

        Assert.Equal(PerKind, counted.GetValueOrDefault("invalid_bom_id"));
        Assert.Equal(PerKind, counted.GetValueOrDefault("bom_not_found"));
    }
}
