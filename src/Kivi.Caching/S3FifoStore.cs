namespace Kivi.Caching;

/// <summary>
/// A byte-bounded S3-FIFO cache (Yang et al., SOSP 2023): new keys enter a small FIFO holding a tenth of
/// the bytes; those read again while there move to the main FIFO, the rest leave a ghost of their key
/// hash so a quick return goes straight to main; main reinserts entries read since their last pass.
/// Reads take no lock and only bump a two-bit counter; inserts and evictions take one lock, which every
/// change to the map and the queues is made under.
/// </summary>
/// <remarks>
/// Chosen over a library because the well-kept .NET policy library (BitFaster.Caching 2.6) bounds by
/// count, not bytes; values here range from a byte to megabytes. bench/Kivi.Benchmarks compares hit
/// ratios with plain LRU and with BitFaster's W-TinyLFU on equal-sized values.
/// </remarks>
internal sealed class S3FifoStore
{
    private sealed class Node(CacheKey key, CachedEntry entry, long weight) : CacheSlot(entry)
    {
        public readonly CacheKey Key = key;
        public long Weight = weight;
        public bool InMain;
        public bool Removed;

        /// <summary>Out of the map: the slot answers nothing from now on, and no longer holds the value alive.</summary>
        public void Drop()
        {
            Removed = true;
            Current = null;
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<CacheKey, Node> _map = new(CacheKeyComparer.Instance);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<CacheKey, Node>.AlternateLookup<CacheKeySpan> _spans;
    private readonly Queue<Node> _small = new();
    private readonly Queue<Node> _main = new();
    private readonly Queue<int> _ghostOrder = new();
    private readonly HashSet<int> _ghost = [];
    private readonly Lock _lock = new();
    private readonly long _capacity;
    private long _bytes, _smallBytes;
    private long _evictions;

    public S3FifoStore(long capacityBytes)
    {
        _spans = _map.GetAlternateLookup<CacheKeySpan>();
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1024);
        _capacity = capacityBytes;
    }

    public long Bytes => Volatile.Read(ref _bytes);
    public int Count => _map.Count;
    public long Evictions => Volatile.Read(ref _evictions);

    /// <summary>Lock-free: a dictionary probe and a counter bump.</summary>
    public CachedEntry? Get(in CacheKey key)
    {
        if (!_map.TryGetValue(key, out var node)) return null;
        if (node.Frequency < 3) node.Frequency++; // a lost increment under a race only weakens a hint
        return node.Current;
    }

    /// <summary>The key's slot, found without a key object: it follows every later install of the key until the key leaves the cache.</summary>
    public CacheSlot? GetSlot(CacheKeySpan key)
    {
        if (!_spans.TryGetValue(key, out var node)) return null;
        if (node.Frequency < 3) node.Frequency++; // a lost increment under a race only weakens a hint
        return node;
    }

    /// <summary>Counts a read through a slot for the eviction policy, as <see cref="Get(in CacheKey)"/> does.</summary>
    public static void Touch(CacheSlot slot)
    {
        if (slot.Frequency < 3) slot.Frequency++; // a lost increment under a race only weakens a hint
    }

    /// <summary>
    /// Installs <paramref name="entry"/> unless the cache holds a newer one (higher <see cref="CachedEntry.AsOf"/>),
    /// so a late answer never overwrites a fresher change. Returns the entry the cache now holds.
    /// </summary>
    public CachedEntry Install(in CacheKey key, CachedEntry entry)
    {
        long weight = entry.Weight(key.Key.Length);
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                if (node.Current!.AsOf > entry.AsOf) return node.Current;
                node.Current = entry;
                Adjust(node, weight - node.Weight);
                node.Weight = weight;
            }
            else
            {
                if (weight > _capacity / 10) return entry; // larger than the small queue: never cached
                node = new Node(key, entry, weight);
                int hash = key.GetHashCode();
                if (_ghost.Remove(hash))
                {
                    node.InMain = true;
                    _main.Enqueue(node);
                }
                else
                {
                    _small.Enqueue(node);
                    _smallBytes += weight;
                }
                _bytes += weight;
                _map[key] = node;
            }
            EvictWhileFull();
            return entry;
        }
    }

    public void Remove(in CacheKey key)
    {
        lock (_lock)
        {
            if (_map.TryRemove(key, out var node)) Unlink(node);
        }
    }

    /// <summary>Removes every entry matching <paramref name="predicate"/> (a dropped namespace; rare, so a scan).</summary>
    public void RemoveWhere(Func<CacheKey, CachedEntry, bool> predicate)
    {
        lock (_lock)
        {
            foreach (var node in _map.Values.Where(n => predicate(n.Key, n.Current!)).ToList())
            {
                _map.TryRemove(node.Key, out _);
                Unlink(node);
            }
        }
    }

    public void Clear() => RemoveWhere((_, _) => true);

    /// <summary>Accounts for a node already taken out of the map; the queues drop it lazily.</summary>
    private void Unlink(Node node)
    {
        node.Drop();
        _bytes -= node.Weight;
        if (!node.InMain) _smallBytes -= node.Weight;
    }

    private void Adjust(Node node, long delta)
    {
        _bytes += delta;
        if (!node.InMain && !node.Removed) _smallBytes += delta;
    }

    private void EvictWhileFull()
    {
        while (_bytes > _capacity)
        {
            if (_smallBytes > _capacity / 10 || _main.Count == 0) EvictFromSmall();
            else EvictFromMain();
        }
    }

    private void EvictFromSmall()
    {
        while (_small.TryDequeue(out var node))
        {
            if (node.Removed) continue;
            _smallBytes -= node.Weight;
            if (node.Frequency > 1)
            {
                node.InMain = true;
                node.Frequency = 0;
                _main.Enqueue(node);
                if (_bytes <= _capacity) return;
                continue;
            }
            Evict(node);
            RememberGhost(node.Key.GetHashCode());
            return;
        }
        if (_main.Count > 0) EvictFromMain();
    }

    private void EvictFromMain()
    {
        while (_main.TryDequeue(out var node))
        {
            if (node.Removed) continue;
            if (node.Frequency > 0)
            {
                node.Frequency--;
                _main.Enqueue(node);
                continue;
            }
            Evict(node);
            return;
        }
    }

    private void Evict(Node node)
    {
        _map.TryRemove(node.Key, out _);
        node.Drop();
        _bytes -= node.Weight;
        _evictions++;
    }

    private void RememberGhost(int hash)
    {
        if (!_ghost.Add(hash)) return;
        _ghostOrder.Enqueue(hash);
        while (_ghostOrder.Count > Math.Max(1024, _map.Count) && _ghostOrder.TryDequeue(out int old)) _ghost.Remove(old);
    }
}

/// <summary>
/// Where the cache keeps one key while the key stays in it: each later install of the key replaces <see cref="Current"/>
/// in place, and once the key leaves (evicted, removed, the cache reset) the slot answers nothing, for good. A reader
/// that keeps the slot (the SDK's front index) reads the key's current entry without looking the key up again.
/// </summary>
public abstract class CacheSlot(CachedEntry entry)
{
    private volatile CachedEntry? _current = entry;

    /// <summary>The eviction policy's read count (0 to 3), kept here so a read through the slot bumps it without a cast.</summary>
    internal int Frequency;

    /// <summary>The key's entry now; null once the key has left the cache (a later read of it gets a new slot).</summary>
    public CachedEntry? Current { get => _current; internal set => _current = value; }
}
