using System.Text;

namespace Kivi.Caching.Tests;

/// <summary>
/// An upstream with a versioned in-memory state the test drives, counting the reads that reach it; a
/// read can be held at a gate so a test can interleave feed lines with it.
/// </summary>
internal sealed class ScriptedUpstream : IKvUpstream
{
    private readonly Dictionary<string, (string Value, long Version, long? Expiration)> _data = [];
    public long Head { get; private set; }
    public int Reads;
    public TaskCompletionSource? Gate { get; set; }
    public bool Down { get; set; }

    /// <summary>The store and epoch its answers say they come from (none by default).</summary>
    public (string Store, long Epoch)? AnswersFrom { get; set; }

    public long Put(string key, string value, long? expiration = null)
    {
        lock (_data)
        {
            _data[key] = (value, ++Head, expiration);
            return Head;
        }
    }

    public async Task<UpstreamRead> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Reads);
        UpstreamRead answer;
        lock (_data)
        {
            // The answer is taken when the read arrives; the gate only delays its delivery, as a slow network would.
            answer = _data.TryGetValue(Encoding.UTF8.GetString(key.Key), out var e)
                ? new UpstreamRead { Found = true, Value = Encoding.UTF8.GetBytes(e.Value), Version = e.Version, Expiration = e.Expiration, AsOf = Head, StoreId = AnswersFrom?.Store, Epoch = AnswersFrom?.Epoch }
                : UpstreamRead.Missing(Head);
        }
        if (Gate is { } gate) await gate.Task;
        if (Down) throw new UpstreamUnavailableException("down");
        return answer;
    }

    public Task<UpstreamList> ListAsync(string namespaceId, byte[] prefix, byte[]? startAfter, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Reads);
        if (Down) throw new UpstreamUnavailableException("down");
        lock (_data)
        {
            string p = Encoding.UTF8.GetString(prefix);
            var keys = _data.Where(kv => kv.Key.StartsWith(p, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new ListedKey(Encoding.UTF8.GetBytes(kv.Key), null, kv.Value.Expiration, kv.Value.Version)).Take(limit).ToList();
            return Task.FromResult(new UpstreamList(keys, false, Head));
        }
    }
}
