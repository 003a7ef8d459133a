using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kivi.Server;

/// <summary>
/// Logs failures that are conditions, not bugs (an upstream or a database unreachable, a full disk): the
/// first one at once, then at most one line a minute per status with how many were not logged, so an
/// outage, or a flood of requests during one, is a few lines in the log rather than one per request.
/// </summary>
internal sealed class FaultLog(ILogger<FaultLog> logger, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<int, State> _byStatus = new();

    private sealed class State
    {
        public readonly Lock Lock = new();
        public long LoggedAt;
        public int Suppressed;
    }

    public void Report(int status, string message)
    {
        var state = _byStatus.GetOrAdd(status, _ => new State());
        int suppressed;
        lock (state.Lock)
        {
            if (state.LoggedAt != 0 && time.GetElapsedTime(state.LoggedAt) < Window)
            {
                state.Suppressed++;
                return;
            }
            suppressed = state.Suppressed;
            state.Suppressed = 0;
            state.LoggedAt = time.GetTimestamp();
        }
        Log.Fault(logger, status, message, suppressed);
    }
}
