namespace NotificationHub.LoadTest;

/// <summary>
/// The root kinds of the runtime's <c>GCMarkWithType</c> event (its <c>Type</c> field, gcinterface.h's
/// <c>GC_ROOT_KIND</c>): the collector fires one when it has marked from that kind of root, so the time since the
/// previous one (or since the collection started) is what marking from that root cost. <see cref="Older"/> is the
/// card table: old objects that were given references to young ones since the last collection.
/// </summary>
internal enum GcMarkPhase
{
    Stack = 0,
    FinalizeQueue = 1,
    Handles = 2,
    Older = 3,
    SizedRef = 4,
    Overflow = 5,
    DependentHandles = 6,
    NewFinalizeQueue = 7,
    Steal = 8,
    BgcSalvage = 9,
}
