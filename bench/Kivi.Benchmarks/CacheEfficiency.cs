using System.Globalization;
using System.Text;
using BitFaster.Caching.Lfu;
using Kivi.Caching;

namespace Kivi.Benchmarks;

/// <summary>
/// Memory per cached entry (measured on the heap, beside the bytes the cache counts for it) and hit
/// ratio under Zipf(0.99) over a key space with a cache holding 10% of it: Kivi's S3-FIFO beside plain
/// LRU and BitFaster's W-TinyLFU (count-bounded, so comparable here because every value is the same size).
/// </summary>
internal static class CacheEfficiency
{
    public static int Run(Options o)
    {
        int keys = o.Int("keys", 1_000_000), requests = o.Int("requests", 4_000_000);
        MeasureMemory(keys);
        MeasureHitRatio(keys, requests);
        return 0;
    }

    private static CacheKey Key(int i) => new("0123456789abcdef0123456789abcdef", Encoding.UTF8.GetBytes("key:" + i.ToString("D9", CultureInfo.InvariantCulture)));

    private static void MeasureMemory(int keys)
    {
        var value = new byte[100];
        var keyList = Enumerable.Range(0, keys).Select(Key).ToArray(); // the keys exist in any case: counted in the payload
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var store = new S3FifoStore(long.MaxValue / 4);
        for (int i = 0; i < keys; i++)
        {
            var entry = new CachedEntry(value.ToArray(), null, null, i + 1, i + 1, 0);
            _ = (entry.VersionText, entry.AsOfText, entry.QuotedVersionText); // what a hot read formats and keeps
            store.Install(keyList[i], entry);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        long payload = 100;
        double perEntry = (after - before) / (double)keys;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory: {perEntry:0} bytes of heap per entry of a 100-byte value ({perEntry - payload:0} bytes beyond the value; keys of 13 bytes held by the caller); the cache counts each as {store.Bytes / keys} bytes"));
        GC.KeepAlive(store);
        GC.KeepAlive(keyList);
    }

    private static void MeasureHitRatio(int keys, int requests)
    {
        var zipf = new Zipf(keys, 0.99, seed: 42);
        var trace = new int[requests];
        for (int i = 0; i < requests; i++) trace[i] = zipf.Next();
        int capacity = keys / 10;
        var keyObjects = Enumerable.Range(0, keys).Select(Key).ToArray();
        var entry = new CachedEntry(new byte[100], null, null, 1, 1, 0);
        long weight = entry.Weight(keyObjects[0].Key.Length);

        var s3 = new S3FifoStore(capacity * weight);
        double s3Ratio = Replay(trace, k => s3.Get(keyObjects[k]) is not null, k => s3.Install(keyObjects[k], entry));
        var lru = new Lru(capacity);
        double lruRatio = Replay(trace, lru.Get, lru.Add);
        var lfu = new ConcurrentLfu<int, byte[]>(capacity);
        var payload = new byte[100];
        double lfuRatio = Replay(trace, k => lfu.TryGet(k, out _), k => lfu.AddOrUpdate(k, payload));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hit ratio, Zipf(0.99) over {keys:N0} keys, cache of {capacity:N0} entries, {requests:N0} requests (first quarter warms up): Kivi S3-FIFO {s3Ratio:P1}, plain LRU {lruRatio:P1}, BitFaster W-TinyLFU {lfuRatio:P1}"));
    }

    private static double Replay(int[] trace, Func<int, bool> get, Action<int> add)
    {
        long hits = 0, counted = 0;
        for (int i = 0; i < trace.Length; i++)
        {
            bool hit = get(trace[i]);
            if (!hit) add(trace[i]);
            if (i < trace.Length / 4) continue;
            counted++;
            if (hit) hits++;
        }
        return hits / (double)counted;
    }

    /// <summary>Plain LRU: a dictionary and a linked list, the baseline every policy is measured against.</summary>
    private sealed class Lru(int capacity)
    {
        private readonly Dictionary<int, LinkedListNode<int>> _map = new(capacity);
        private readonly LinkedList<int> _order = new();

        public bool Get(int key)
        {
            if (!_map.TryGetValue(key, out var node)) return false;
            _order.Remove(node);
            _order.AddFirst(node);
            return true;
        }

        public void Add(int key)
        {
            if (_map.Count >= capacity)
            {
                _map.Remove(_order.Last!.Value);
                _order.RemoveLast();
            }
            _map[key] = _order.AddFirst(key);
        }
    }

    /// <summary>Zipf-distributed ranks by inverse transform over the precomputed CDF.</summary>
    private sealed class Zipf
    {
        private readonly double[] _cdf;
        private readonly Random _random;

        public Zipf(int n, double s, int seed)
        {
            _random = new Random(seed);
            _cdf = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) _cdf[i] = sum += 1 / Math.Pow(i + 1, s);
            for (int i = 0; i < n; i++) _cdf[i] /= sum;
        }

        public int Next()
        {
            int i = Array.BinarySearch(_cdf, _random.NextDouble());
            return Math.Min(i < 0 ? ~i : i, _cdf.Length - 1);
        }
    }
}
