using Microsoft.Diagnostics.Runtime;

namespace NotificationHub.HeapRefs;

/// <summary>
/// The collector's card table as the dump holds it: one bit per 256 bytes of heap, set by the
/// write barrier when a reference to a younger object is stored there, cleared by the next collection that finds none.
/// The DAC gives the table already translated, so an address's card word is at <c>table + (address / card size / 32) * 4</c>.
/// </summary>
internal sealed class CardTable(ClrHeap heap, IDataReader memory)
{
    private const int CardsPerWord = 32;
    private readonly ulong _table = heap.SubHeaps[0].CardTable;
    private const ulong CardSize = 256; // gc.h: 2 * OS page / 32 card bits per word, on 64-bit
    private readonly Dictionary<ulong, uint> _words = [];

    /// <summary>True when the card covering <paramref name="address"/> is set.</summary>
    public bool IsSet(ulong address)
    {
        var card = address / CardSize;
        var word = card / CardsPerWord;
        if (!_words.TryGetValue(word, out var bits))
        {
            bits = memory.Read<uint>(_table + (word * sizeof(uint)));
            _words[word] = bits;
        }

        return (bits & (1u << (int)(card % CardsPerWord))) != 0;
    }
}
