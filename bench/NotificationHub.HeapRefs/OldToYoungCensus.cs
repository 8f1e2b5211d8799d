using Microsoft.Diagnostics.Runtime;

namespace NotificationHub.HeapRefs;

/// <summary>
/// The references from older objects to younger ones in one heap: gen1, gen2, large and pinned objects pointing at
/// gen0 objects, and gen2, large and pinned objects pointing at gen1 ones. Each such reference keeps its 256-byte
/// card dirty, and every gen0 collection scans those cards and marks what they reach.
/// </summary>
internal sealed class OldToYoungCensus
{
    private const int CardShift = 8; // 256-byte cards on 64-bit

    private readonly Dictionary<string, Entry> _entries = [];
    private readonly Dictionary<Generation, (long Count, long Bytes)> _generations = [];
    private readonly HashSet<ulong> _cards = [];
    private readonly Dictionary<string, Entry> _dirty = [];
    private readonly HashSet<ulong> _dirtyCards = [];

    private OldToYoungCensus()
    {
    }

    /// <summary>Walks every object of <paramref name="heap"/>.</summary>
    public static OldToYoungCensus Take(ClrHeap heap, IDataReader memory)
    {
        var census = new OldToYoungCensus();
        var cards = new CardTable(heap, memory);
        foreach (var obj in heap.EnumerateObjects())
        {
            if (!obj.IsValid || heap.GetSegmentByAddress(obj.Address) is not { } segment)
            {
                continue;
            }

            var generation = segment.GetGeneration(obj.Address);
            var (count, bytes) = census._generations.GetValueOrDefault(generation);
            census._generations[generation] = (count + 1, bytes + (long)obj.Size);
            if (generation is Generation.Generation0 or Generation.Frozen)
            {
                continue;
            }

            foreach (var reference in obj.EnumerateReferencesWithFields(carefully: false, considerDependantHandles: false))
            {
                var slot = obj.Address + (ulong)reference.Offset;
                if (cards.IsSet(slot))
                {
                    var target = heap.GetSegmentByAddress(reference.Object.Address)?.GetGeneration(reference.Object.Address);
                    var dirtyKey = $"{generation} {obj.Type?.Name}.{reference.Field?.Name ?? (reference.IsArrayElement ? "[]" : "?")} -> {target?.ToString() ?? "outside the heap"} {reference.Object.Type?.Name}";
                    if (!census._dirty.TryGetValue(dirtyKey, out var dirty))
                    {
                        census._dirty[dirtyKey] = dirty = new Entry();
                    }

                    dirty.References++;
                    dirty.Objects.Add(obj.Address);
                    dirty.Cards.Add(slot >> CardShift);
                    census._dirtyCards.Add(slot >> CardShift);
                }

                var young = reference.Object;
                if (heap.GetSegmentByAddress(young.Address)?.GetGeneration(young.Address) is not { } youngGeneration
                    || !IsYounger(youngGeneration, generation))
                {
                    continue;
                }

                var field = reference.Field?.Name ?? (reference.IsArrayElement ? "[]" : "?");
                var key = $"{generation} {obj.Type?.Name}.{field} -> {youngGeneration} {young.Type?.Name}";
                if (!census._entries.TryGetValue(key, out var entry))
                {
                    census._entries[key] = entry = new Entry();
                }

                var card = (obj.Address + (ulong)reference.Offset) >> CardShift;
                entry.References++;
                entry.Objects.Add(obj.Address);
                entry.Cards.Add(card);
                census._cards.Add(card);
            }
        }

        return census;
    }

    /// <summary>Writes the generations' sizes, then the <paramref name="top"/> entries with the most cards.</summary>
    public void WriteTo(TextWriter output, int top)
    {
        foreach (var (generation, (count, bytes)) in _generations.OrderBy(g => g.Key))
        {
            output.WriteLine($"{generation}: {count} objects, {bytes / 1024} KiB");
        }

        output.WriteLine($"cards holding a reference to a younger object: {_cards.Count}");
        output.WriteLine("  cards  objects  refs  old type.field -> young type");
        foreach (var (key, entry) in _entries.OrderByDescending(e => e.Value.Cards.Count).Take(top))
        {
            output.WriteLine($"{entry.Cards.Count,7} {entry.Objects.Count,8} {entry.References,5}  {key}");
        }

        // Set cards: written since the last collection (or still holding a cross-generation reference), whether or not
        // the reference written is still there. A card covers 256 bytes, so every reference slot on it is listed.
        output.WriteLine($"set cards under a reference slot of an old object: {_dirtyCards.Count}");
        output.WriteLine("  cards  objects  slots  old type.field on a set card -> what it holds now");
        foreach (var (key, entry) in _dirty.OrderByDescending(e => e.Value.Cards.Count).Take(top))
        {
            output.WriteLine($"{entry.Cards.Count,7} {entry.Objects.Count,8} {entry.References,6}  {key}");
        }
    }

    private static bool IsYounger(Generation young, Generation old) => young switch
    {
        Generation.Generation0 => old is not Generation.Generation0,
        Generation.Generation1 => old is Generation.Generation2 or Generation.Large or Generation.Pinned,
        _ => false,
    };

    private sealed class Entry
    {
        public int References { get; set; }

        public HashSet<ulong> Objects { get; } = [];

        public HashSet<ulong> Cards { get; } = [];
    }
}
