using System.Collections.Concurrent;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Kivi.Caching;

namespace Kivi.Benchmarks;

/// <summary>The SDK's hot read taken apart: a string-keyed probe, then the cache's freshness check through the slot, then the clock alone.</summary>
public class HotGetParts
{
    private const int Keys = 1024;
    private string[] _keys = [];
    private readonly ConcurrentDictionary<string, byte[]> _dictionary = new();
    private readonly ConcurrentDictionary<string, CacheSlot> _front = new();
    private KvCache _cache = null!;
    private long _stamps;
    private int _next;

    public static int Run(string[] args)
    {
        BenchmarkRunner.Run<HotGetParts>(HotGet.Config, args);
        return 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        _cache = new KvCache(null!, new KvCacheOptions(), TimeProvider.System);
        _stamps = _cache.TtlStamps(TimeSpan.FromSeconds(60));
        var random = new Random(42);
        _keys = Enumerable.Range(0, Keys).Select(i => $"user:{i:D6}:prefs").OrderBy(_ => random.Next()).ToArray();
        foreach (var key in _keys)
        {
            var value = new byte[100];
            _dictionary[key] = value;
            var bytes = Encoding.UTF8.GetBytes(key);
            _cache.ObserveWrite(new CacheKey("ns", bytes), 1, _cache.WrittenEntry(value, null, null, 1));
            _cache.TryGetFresh("ns", bytes, TimeSpan.FromSeconds(60), out var slot);
            _front[key] = slot!;
        }
    }

    private string NextKey() => _keys[_next++ & (Keys - 1)];

    [Benchmark(Baseline = true)]
    public byte[]? Dictionary() => _dictionary.TryGetValue(NextKey(), out var value) ? value : null;

    [Benchmark]
    public CachedEntry? FrontProbe() => _front.TryGetValue(NextKey(), out var slot) ? slot.Current : null;

    [Benchmark]
    public CachedEntry? FrontAndFreshness() => _front.TryGetValue(NextKey(), out var slot) ? _cache.TryGetFresh(slot, _stamps) : null;

    [Benchmark]
    public long TickCount64() => Environment.TickCount64 + _next++;

    [Benchmark]
    public long CoarseClock() => global::Kivi.Caching.CoarseClock.Now + _next++;
}
