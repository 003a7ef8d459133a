using System.Collections.Concurrent;

namespace Kivi.Server.Edge;

/// <summary>
/// One lookup per key at a time: whoever asks while one is under way waits for its answer instead of asking again,
/// so a burst of new requests (thousands of watchers connecting, every reader as a remembered token expires) costs
/// the upstream one round trip, not one each. The lookup is not cancelled with any one caller (others wait on it);
/// it is bounded by the upstream's own timeout.
/// </summary>
internal sealed class SingleFlight<T>
{
    private readonly ConcurrentDictionary<string, Task<T>> _flights = new(StringComparer.Ordinal);

    public Task<T> RunAsync(string key, Func<Task<T>> lookup, CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _flights.GetOrAdd(key, mine.Task);
        if (flight == mine.Task) _ = FlyAsync(key, mine, lookup);
        return flight.WaitAsync(cancellationToken);
    }

    private async Task FlyAsync(string key, TaskCompletionSource<T> mine, Func<Task<T>> lookup)
    {
        try
        {
            T answer = await lookup();
            _flights.TryRemove(new KeyValuePair<string, Task<T>>(key, mine.Task)); // before answering: a later caller asks afresh
            mine.SetResult(answer);
        }
        catch (Exception e)
        {
            _flights.TryRemove(new KeyValuePair<string, Task<T>>(key, mine.Task));
            mine.SetException(e);
        }
    }
}
