namespace Kivi.Core.Storage;

/// <summary>
/// A store's durable head (the newest version known to be on disk) and the wait for it to pass a version:
/// the same for every engine. Only the engine's syncer advances it.
/// </summary>
public sealed class DurableHead
{
    private long _value;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DurableHead(long value = 0) => _value = value;

    public long Value => Volatile.Read(ref _value);

    /// <summary>Moves the head to <paramref name="version"/> (never back) and wakes every waiter.</summary>
    public void Advance(long version)
    {
        long current;
        do
        {
            current = Volatile.Read(ref _value);
            if (version <= current) break;
        } while (Interlocked.CompareExchange(ref _value, version, current) != current);
        Signal();
    }

    /// <summary>Wakes every waiter without moving the head (they look again: a store's head may have moved elsewhere).</summary>
    public void Signal() => Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes once the head passes <paramref name="version"/> (at once if it already has).</summary>
    public async Task WaitPastAsync(long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            var advanced = Volatile.Read(ref _advanced).Task;
            if (Value > version) return;
            await advanced.WaitAsync(cancellationToken);
        }
    }
}
