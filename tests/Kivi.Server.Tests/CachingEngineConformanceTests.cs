using Kivi.Caching;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Local;
using Kivi.Storage.Conformance;
using Kivi.Storage.Sqlite;

namespace Kivi.Server.Tests;

/// <summary>
/// The conformance suite through a single node's engine: reads from the in-process cache and writes installed in
/// it, over a real SQLite file, on the suite's fake clock. Every rule a store keeps, its cache keeps too.
/// </summary>
public sealed class CachingEngineConformanceTests : KvEngineConformance
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kivi-caching-").FullName;

    /// <summary>The cache every read of the suite went through (to show it answered).</summary>
    private KvCache Cache { get; set; } = null!;

    protected override async Task<IKvEngine> CreateEngineAsync()
    {
        var engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = Path.Combine(_folder, "kivi.db") });
        await engine.InitializeAsync(CancellationToken.None);
        return engine;
    }

    protected override (IKvReads Reads, IKvWrites Writes) Front(IKvEngine store)
    {
        var options = new KvCacheOptions { CapacityBytes = 64L * 1024 * 1024 };
        Cache = new KvCache(new EngineUpstream(store, Clock, options.MaxEntryBytes), options, Clock);
        var front = new CachingEngine(store, Cache, KvLimits.WorkersKv);
        return (front, front);
    }

    [Fact]
    public async Task The_suite_reads_through_the_cache_not_around_it()
    {
        await Put("seen", "v");
        long hits = Cache.Hits;
        Assert.Equal("v", await Get("seen"));
        Assert.True(Cache.Hits > hits, "a read of a key just written is a cache hit: the write installed it");
    }

    [Fact]
    public async Task An_import_sized_batch_is_not_installed_in_the_cache_yet_its_values_are_read_back()
    {
        await Put("k00007", "old");
        Assert.Equal("old", await Get("k00007")); // held by the cache now
        var items = Enumerable.Range(0, CachingEngine.InstallBatchesUpTo + 1).Select(i => new Kivi.Protocol.BulkWriteItem { Key = $"k{i:D5}", Value = $"v{i}" }).ToArray();
        int held = Cache.Count;
        await Kv.BulkPutAsync(Ns, items, Writer);
        Assert.True(Cache.Count < held, "the batch's values were not installed, and the key it overwrote was dropped");
        Assert.Equal("v7", await Get("k00007")); // read your writes, from the store
        Assert.Equal($"v{CachingEngine.InstallBatchesUpTo}", await Get($"k{CachingEngine.InstallBatchesUpTo:D5}"));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
