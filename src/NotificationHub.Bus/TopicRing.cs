using System.Collections.Immutable;
using System.Numerics;

namespace NotificationHub.Bus;

/// <summary>
/// The recent events of one BOM on this node (the disruptor / Nchan shared-buffer shape): each fanned-out event is
/// written once, into the next slot, under a monotonically increasing sequence; every local subscriber keeps only the
/// sequence it reads next (<see cref="TopicCursor"/>). A delivery therefore writes one reference however many
/// subscribers there are: each reference from an old object to a young event is a dirty card the next gen0 collection
/// must scan, which is what docs/benchmarks.md's profile points at for the pause growing with connections.
/// </summary>
/// <remarks>
/// <para>Written by one writer at a time (under <see cref="BomTopic.Gate"/>), read by any number of readers without a
/// lock: each slot carries the sequence of the event in it (a seqlock stamp, <c>-1</c> while it is rewritten), and a
/// reader that finds another stamp than its sequence was overtaken by the writer. Reading under the topic's lock
/// would make every reader contend with the dispatching thread and with each other (ten per BOM in the benchmarks).</para>
/// <para>An event must not outlive its readers in the ring: a BOM gets an event every few seconds, so an event kept
/// until its slot comes round again would survive every gen0 and gen1 collection and be promoted (with its frames),
/// costing each collection more than the writes it saved. Each slot therefore counts the subscribers that still have
/// to read it (set when written: the subscribers at that moment, which <see cref="EnrichmentEventBus"/> keeps in step
/// with the head by adding one under <see cref="BomTopic.Gate"/>), and the last of them clears it. A subscriber cut
/// off or gone before reading leaves its slots to be cleared when overwritten.</para>
/// <para>The ring grows from <see cref="InitialSlots"/> by doubling, up to <see cref="Capacity"/> rounded up to a
/// power of two, and only when the slot it is about to overwrite is still unread by a subscriber that is not cut
/// off: a topic whose readers keep pace (the common case) holds 8 slots (~300 bytes) instead of a fixed 1,024
/// (20 KiB per watched BOM: 20 MiB at 1,000 BOMs). It never shrinks; it holds at most its length of recent events.</para>
/// </remarks>
internal sealed class TopicRing
{
    /// <summary>Slots of a ring's first array, allocated at its first event (a topic that never gets one holds none).</summary>
    public const int InitialSlots = 8;

    private readonly int _maxSlots;

    // Swapped whole when the ring grows, so a reader always sees an array and its stamps together. An old segment is
    // never written again: a reader that loaded it before the swap still finds its (older) sequences there.
    private Segment _segment = Segment.Empty;

    private long _head; // the sequence the next event gets; events [_head - length, _head) are in the ring

    // A lower bound of the oldest sequence a subscriber not cut off still has to read (cursors only move forward):
    // while the slot to overwrite is older, the subscribers are not looked at.
    private long _oldestUnread;

    public TopicRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _maxSlots = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
    }

    /// <summary>How far a subscriber may fall behind (events written and not yet read) before it is cut off.</summary>
    public int Capacity { get; }

    /// <summary>The sequence the next event gets: a new subscriber starts reading there.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Slots allocated now (for tests and the memory figures).</summary>
    public int Length => Volatile.Read(ref _segment).Events.Length;

    /// <summary>
    /// Writes the next event (under <see cref="BomTopic.Gate"/>) and publishes it; the caller then wakes the
    /// subscribers and cuts off those more than <see cref="Capacity"/> behind.
    /// </summary>
    /// <returns>The new head: the event's sequence plus one.</returns>
    public long Append(BusEvent busEvent, ImmutableArray<TopicCursor> subscribers)
    {
        var sequence = _head;
        var segment = _segment;
        if (sequence - segment.Events.Length >= _oldestUnread && segment.Events.Length < _maxSlots)
        {
            // The slot to overwrite may still be unread: find out, and grow rather than overwrite it.
            var oldest = sequence;
            foreach (var subscriber in subscribers)
            {
                if (!subscriber.IsCutOff)
                {
                    oldest = Math.Min(oldest, subscriber.Next);
                }
            }

            _oldestUnread = oldest;
            if (sequence - segment.Events.Length >= oldest)
            {
                segment = Grow(segment, sequence);
            }
        }

        var slot = (int)(sequence & (segment.Events.Length - 1));
        Volatile.Write(ref segment.Stamps[slot], -1); // a reader that gets the new event sees it is not its own
        segment.Unread[slot] = subscribers.Length; // published with the event (the writes below release it)
        Volatile.Write(ref segment.Events[slot], busEvent);
        Volatile.Write(ref segment.Stamps[slot], sequence);

        // A full fence: the event is published before the caller reads which subscribers to wake (a reader about to
        // wait checks the head after saying it waits; see StreamWaiter).
        Interlocked.Exchange(ref _head, sequence + 1);
        return sequence + 1;
    }

    /// <summary>Reads the event of <paramref name="sequence"/>, without a lock; once per sequence and subscriber.</summary>
    /// <returns>
    /// <see cref="RingRead.Event"/>, <see cref="RingRead.None"/> when it is not written yet, or
    /// <see cref="RingRead.Behind"/> when the reader is more than <see cref="Capacity"/> behind or its event was
    /// overwritten: a slow consumer.
    /// </returns>
    public RingRead TryRead(long sequence, out BusEvent? busEvent)
    {
        busEvent = null;
        var head = Volatile.Read(ref _head);
        if (sequence >= head)
        {
            return RingRead.None;
        }

        if (head - sequence > Capacity)
        {
            return RingRead.Behind;
        }

        var segment = Volatile.Read(ref _segment); // read after the head: holds every sequence below it
        var slot = (int)(sequence & (segment.Events.Length - 1));
        if (Volatile.Read(ref segment.Stamps[slot]) == sequence)
        {
            busEvent = Volatile.Read(ref segment.Events[slot]);
            if (busEvent is not null && Volatile.Read(ref segment.Stamps[slot]) == sequence)
            {
                if (Interlocked.Decrement(ref segment.Unread[slot]) == 0)
                {
                    // The last reader: the event may die young. Only if the slot still holds it (the writer may
                    // already be putting the next one there, every subscriber having read this one).
                    Interlocked.CompareExchange(ref segment.Events[slot], null, busEvent);
                }

                return RingRead.Event;
            }
        }

        busEvent = null;
        return RingRead.Behind;
    }

    // Doubles the ring (at most to _maxSlots), keeping the events it holds at their sequences' new slots.
    private Segment Grow(Segment old, long head)
    {
        var length = Math.Min(_maxSlots, Math.Max(InitialSlots, old.Events.Length * 2));
        var grown = new Segment(length);
        for (var sequence = Math.Max(0, head - old.Events.Length); sequence < head; sequence++)
        {
            var from = (int)(sequence & (old.Events.Length - 1));
            var to = (int)(sequence & (length - 1));
            grown.Events[to] = old.Events[from];
            grown.Stamps[to] = old.Stamps[from];
            grown.Unread[to] = old.Unread[from]; // a reader still on the old segment counts there: left to the overwrite
        }

        Volatile.Write(ref _segment, grown);
        return grown;
    }

    private sealed class Segment
    {
        public static readonly Segment Empty = new(0);

        public Segment(int length)
        {
            Events = new BusEvent?[length];
            Stamps = new long[length];
            Array.Fill(Stamps, -1L);
            Unread = new int[length];
        }

        public BusEvent?[] Events { get; }

        public long[] Stamps { get; }

        public int[] Unread { get; }
    }
}
