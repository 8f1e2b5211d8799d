using NotificationHub.Bus;

namespace NotificationHub.Tests.Bus;

public sealed class BusEventEncodingTests
{
    private static int s_upperCalls;

    // Static: a process declares a few encodings, as transports do (at most BusEvent.MaxEncodings).
    private static readonly BusEventEncoding<string> Upper = new(e =>
    {
        Interlocked.Increment(ref s_upperCalls);
        return e.EventId.ToUpperInvariant();
    });

    private static readonly BusEventEncoding<string> Length = new(e => e.EventId.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static BusEvent NewEvent(string id) => new(id, "progress", "bom-1", "acme", "{}"u8.ToArray());

    [Fact]
    public void An_event_is_encoded_once_per_format_and_every_caller_gets_the_same_instance()
    {
        var busEvent = NewEvent("abc-" + Guid.NewGuid().ToString("N"));
        var before = Volatile.Read(ref s_upperCalls);

        var results = Enumerable.Range(0, 64).AsParallel().Select(_ => busEvent.GetEncoding(Upper)).ToArray();

        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.Equal(busEvent.EventId.ToUpperInvariant(), results[0]);
        Assert.InRange(Volatile.Read(ref s_upperCalls) - before, 1, Environment.ProcessorCount); // concurrent first calls may each encode; one result is kept
        Assert.Same(results[0], busEvent.GetEncoding(Upper));
    }

    [Fact]
    public void Formats_and_events_do_not_share_slots()
    {
        var first = NewEvent("one");
        var second = NewEvent("three");

        Assert.Equal("ONE", first.GetEncoding(Upper));
        Assert.Equal("3", first.GetEncoding(Length));
        Assert.Equal("THREE", second.GetEncoding(Upper));
        Assert.Equal("5", second.GetEncoding(Length));
    }
}
