using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Sse;

namespace NotificationHub.Tests.Sse;

/// <summary>The multi-BOM stream's cursor: its text form, what it accepts, and its bound.</summary>
public sealed class MultiBomCursorTests
{
    private static readonly string[] Boms = ["bom-1", "bom-7", "bom-9"];
    private static readonly int Max = MultiBomCursor.MaxLength(20);

    [Fact]
    public void A_new_cursor_is_the_bare_prefix_and_advancing_adds_each_bom_in_request_order()
    {
        var cursor = new MultiBomCursor(Boms);
        Assert.Equal("m1", cursor.ToString());

        cursor.Advance(Event("bom-9", "1764064805000-3"));
        cursor.Advance(Event("bom-1", "1764064801200-0"));
        Assert.Equal("m1,bom-1=1764064801200-0,bom-9=1764064805000-3", cursor.ToString());

        cursor.Advance(Event("bom-1", "1764064801300-2"));
        Assert.Equal("m1,bom-1=1764064801300-2,bom-9=1764064805000-3", cursor.ToString());
    }

    [Fact]
    public void Live_only_legacy_events_and_events_of_other_boms_leave_the_cursor_as_it_is()
    {
        var cursor = new MultiBomCursor(Boms);
        cursor.Advance(Event("bom-7", "5-0"));
        cursor.Advance(Event("bom-7", "9b2c4f1e-legacy-uuid"));
        cursor.Advance(Event("bom-other", "6-0"));
        Assert.Equal("m1,bom-7=5-0", cursor.ToString());
    }

    [Theory]
    [InlineData("m1")]
    [InlineData("m1,bom-7=5-0")]
    [InlineData("m1,bom-9=1764064805000-3,bom-1=1764064801200-0")] // any order
    [InlineData("m1,bom-1=0-0")]
    public void Well_formed_cursors_of_the_requested_boms_parse_and_format_back_in_request_order(string text)
    {
        Assert.True(MultiBomCursor.TryParse(text, Boms, Max, out var cursor));
        var again = cursor.ToString();
        Assert.True(MultiBomCursor.TryParse(again, Boms, Max, out var reparsed));
        for (var i = 0; i < Boms.Length; i++)
        {
            Assert.Equal(cursor[i], reparsed[i]);
        }

        Assert.Equal(text.Split(',').Length, again.Split(',').Length);
    }

    [Fact]
    public void Leading_zeros_name_the_same_log_id()
    {
        Assert.True(MultiBomCursor.TryParse("m1,bom-1=0012-003", Boms, Max, out var cursor));
        Assert.Equal(new EventLogId(12, 3), cursor[0]);
        Assert.Null(cursor[1]);
        Assert.Equal("m1,bom-1=12-3", cursor.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("m2")]
    [InlineData("M1")]
    [InlineData("1764064801200-0")] // a single-BOM log id
    [InlineData("m1,")] // truncated
    [InlineData("m1,bom-1")]
    [InlineData("m1,bom-1=")]
    [InlineData("m1,bom-1=12")]
    [InlineData("m1,bom-1=12-")]
    [InlineData("m1,bom-1=-3")]
    [InlineData("m1,=12-3")]
    [InlineData("m1bom-1=12-3")]
    [InlineData("m1,bom-1=12-3,")]
    [InlineData("m1,,bom-1=12-3")]
    [InlineData("m1,bom-1=12-3,bom-1=13-0")] // repeated BOM
    [InlineData("m1,bom-2=12-3")] // a BOM not in the request
    [InlineData("m1,BOM-1=12-3")] // ids are case-sensitive
    [InlineData("m1,bom-1=12-3=4")]
    [InlineData("m1,bom-1=+12-3")]
    [InlineData("m1,bom-1= 12-3")]
    [InlineData("m1,bom-1=12-3 ")]
    [InlineData("m1,bom-1=99999999999999999999-0")] // overflows a long
    [InlineData("m1,bom-1=9b2c4f1e-0c1d")]
    [InlineData("m1;bom-1=12-3")]
    public void Malformed_truncated_foreign_or_repeated_cursors_are_refused(string text) =>
        Assert.False(MultiBomCursor.TryParse(text, Boms, Max, out _));

    [Fact]
    public void The_bound_is_3422_characters_at_20_boms_and_the_longest_real_cursor_fits_it()
    {
        Assert.Equal(3422, MultiBomCursor.MaxLength(20));

        var boms = Enumerable.Range(0, 20).Select(i => $"{i:D2}" + new string('b', BomIds.MaxLength - 2)).ToArray();
        var cursor = new MultiBomCursor(boms);
        foreach (var bom in boms)
        {
            cursor.Advance(Event(bom, $"{long.MaxValue}-{long.MaxValue}"));
        }

        var longest = cursor.ToString();
        Assert.True(longest.Length <= MultiBomCursor.MaxLength(20), $"{longest.Length} characters");
        Assert.True(MultiBomCursor.TryParse(longest, boms, MultiBomCursor.MaxLength(20), out _));

        // One character over the bound is refused, whatever it holds.
        Assert.False(MultiBomCursor.TryParse(longest, boms, longest.Length - 1, out _));
    }

    [Fact]
    public void Advancing_and_writing_the_cursor_of_each_event_allocates_nothing()
    {
        var boms = Enumerable.Range(0, 20).Select(i => $"bom-{i}").ToArray();
        var events = boms.Select((b, i) => Event(b, $"1764064801200-{i}")).ToArray();
        var cursor = new MultiBomCursor(boms);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 20);
        foreach (var e in events)
        {
            cursor.Advance(e); // warm up
        }

        cursor.WriteTo(buffer);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 10; round++)
        {
            foreach (var e in events)
            {
                cursor.Advance(e);
                cursor.WriteTo(buffer);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static BusEvent Event(string bomId, string eventId) =>
        new(eventId, EnrichmentEventNames.Progress, bomId, "acme", "{}"u8.ToArray());
}
