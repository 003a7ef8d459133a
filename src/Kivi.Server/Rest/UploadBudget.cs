using Kivi.Protocol;

namespace Kivi.Server.Rest;

/// <summary>
/// Bounds the memory held by request bodies being read (values are held whole until committed): a large
/// body takes its size from the budget before it is read and gives it back when its request ends; others
/// wait in arrival order, their bytes left in the network until there is room. A body larger than the
/// whole budget waits until it has the budget to itself. Small bodies (≤ <see cref="SmallBody"/>) are not
/// counted: connections bound them.
/// </summary>
internal sealed class UploadBudget(long capacity, TimeSpan maxWait)
{
    private readonly long _capacity = capacity;
    /// <summary>Bodies up to this size skip the budget.</summary>
    public const long SmallBody = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly LinkedList<(long Bytes, TaskCompletionSource<bool> Granted)> _waiting = new();
    private long _available = capacity;

    public long Capacity => _capacity;

    /// <summary>Bytes of the budget taken by bodies being read now.</summary>
    public long InUse
    {
        get { lock (_lock) return _capacity - _available; }
    }

    /// <summary>Takes room for a body of <paramref name="bytes"/>; null when it is small enough not to count.</summary>
    public async ValueTask<IDisposable?> AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        if (bytes <= SmallBody) return null;
        long want = Math.Min(bytes, _capacity);
        LinkedListNode<(long, TaskCompletionSource<bool>)> node;
        lock (_lock)
        {
            if (_waiting.Count == 0 && _available >= want)
            {
                _available -= want;
                return new Lease(this, want);
            }
            node = _waiting.AddLast((want, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)));
        }
        try
        {
            await node.Value.Item2.Task.WaitAsync(maxWait, cancellationToken);
            return new Lease(this, want);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_lock)
            {
                if (node.List is not null) _waiting.Remove(node);
                else _available += want; // granted just as the wait ended: give it back
            }
            Release(0);
            if (e is TimeoutException)
                throw new KvException(503, KvErrorCode.UpstreamUnavailable,
                    $"Too many large uploads are being read at once (their memory budget of {_capacity:N0} bytes has been full for {maxWait.TotalSeconds:N0} s): nothing was written; retry shortly.");
            throw;
        }
    }

    private void Release(long bytes)
    {
        lock (_lock)
        {
            _available += bytes;
            while (_waiting.First is { } first && _available >= first.Value.Bytes)
            {
                _available -= first.Value.Bytes;
                _waiting.RemoveFirst();
                first.Value.Granted.TrySetResult(true);
            }
        }
    }

    private sealed class Lease(UploadBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) budget.Release(bytes);
        }
    }
}
