using System.Threading.Channels;

namespace NotificationHub.Bus;

/// <summary>
/// One local watcher of one BOM: a bounded queue the topic writes into without blocking. When the queue is full
/// the watcher is cut off (<see cref="SlowConsumerException"/>) so it can neither slow the others nor grow memory.
/// </summary>
internal sealed class LocalSubscription
{
    private readonly Channel<BusEvent> _queue;

    public LocalSubscription(BomTopic topic, int capacity)
    {
        Topic = topic;
        Capacity = capacity;
        _queue = Channel.CreateBounded<BusEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public BomTopic Topic { get; }

    public int Capacity { get; }

    public ChannelReader<BusEvent> Reader => _queue.Reader;

    /// <summary>
    /// Queues an event. Returns false only on the write that overflowed the queue, which completes the
    /// subscription with <see cref="SlowConsumerException"/>; later writes to a closed queue are ignored.
    /// </summary>
    public bool TryDeliver(BusEvent busEvent)
    {
        if (_queue.Writer.TryWrite(busEvent))
        {
            return true;
        }

        return !_queue.Writer.TryComplete(new SlowConsumerException());
    }

    public void Complete() => _queue.Writer.TryComplete();
}
