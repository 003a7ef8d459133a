using System.Collections.Concurrent;
using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Server.Quotas;

/// <summary>
/// Workers KV's limit of one write a second to the same key (<c>--key-write-limit</c>, off by default; the second is
/// <c>--key-write-interval</c>), kept by the node that commits the write: an origin (with several origins over one
/// PostgreSQL, each keeps its own). A put and a delete are both writes; bulk writes are not limited (Workers KV's limit
/// is the binding's, and its REST bulk write has its own).
/// </summary>
internal sealed class KeyWriteLimiter(TimeProvider time, TimeSpan interval)
{
    private readonly long _interval = interval.Ticks;
    private readonly ConcurrentDictionary<string, long> _lastWrite = new(StringComparer.Ordinal);

    public void Admit(KvNamespace ns, byte[] key)
    {
        long now = time.GetUtcNow().UtcTicks;
        string id = ns.Id + "/" + Convert.ToBase64String(key);
        bool admitted = false;
        _lastWrite.AddOrUpdate(id, _ => { admitted = true; return now; }, (_, last) =>
        {
            admitted = now - last >= _interval;
            return admitted ? now : last;
        });
        if (!admitted) throw KvErrors.KeyWriteRateLimited();
    }

    /// <summary>Drops keys written more than a second ago: they are admitted again anyway.</summary>
    public void Forget()
    {
        long now = time.GetUtcNow().UtcTicks;
        foreach (var (id, last) in _lastWrite)
            if (now - last >= _interval) _lastWrite.TryRemove(new KeyValuePair<string, long>(id, last));
    }
}
