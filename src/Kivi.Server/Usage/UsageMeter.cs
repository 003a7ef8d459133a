using System.Collections.Concurrent;
using Kivi.Caching;
using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Server.Usage;

/// <summary>
/// The reads and lists this node served, per namespace, as running totals that only grow (striped, exact): a read
/// costs an atomic add on its thread's own cache line. <see cref="Take"/> turns what grew since the last take into
/// report rows; counts are never reset, so a read racing a take is counted in this take or the next, never lost.
/// </summary>
internal sealed class UsageMeter(bool enabled) : IUsageMeter
{
    private sealed class Counters(string accountId)
    {
        public readonly string AccountId = accountId;
        public readonly StripedCounter Reads = new(), Lists = new(), ReadBytes = new();
        public long TakenReads, TakenLists, TakenReadBytes; // the takers' only
    }

    private readonly ConcurrentDictionary<string, Counters> _namespaces = new(StringComparer.Ordinal);
    private readonly Lock _taking = new();

    private Counters For(KvNamespace ns) =>
        _namespaces.TryGetValue(ns.Id, out var counters) ? counters : _namespaces.GetOrAdd(ns.Id, _ => new Counters(ns.AccountId));

    public void Read(KvNamespace ns, long bytes)
    {
        if (!enabled) return;
        var counters = For(ns);
        counters.Reads.Increment();
        if (bytes > 0) counters.ReadBytes.Add(bytes);
    }

    public void List(KvNamespace ns)
    {
        if (enabled) For(ns).Lists.Increment();
    }

    /// <summary>What was counted since the last take, as rows of <paramref name="hour"/>.</summary>
    public List<UsageCount> Take(long hour)
    {
        var rows = new List<UsageCount>();
        lock (_taking)
        {
            foreach (var (id, c) in _namespaces)
            {
                long reads = c.Reads.Sum(), lists = c.Lists.Sum(), bytes = c.ReadBytes.Sum();
                if (reads == c.TakenReads && lists == c.TakenLists && bytes == c.TakenReadBytes) continue;
                rows.Add(new UsageCount(c.AccountId, id, hour, reads - c.TakenReads, lists - c.TakenLists, bytes - c.TakenReadBytes));
                (c.TakenReads, c.TakenLists, c.TakenReadBytes) = (reads, lists, bytes);
            }
        }
        return rows;
    }
}
