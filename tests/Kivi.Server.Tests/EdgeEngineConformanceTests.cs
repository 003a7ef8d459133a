using Kivi.Caching;
using Kivi.Client;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Kivi.Server.Edge;
using Kivi.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Tests;

/// <summary>
/// The conformance suite with every read through an edge's engine (<see cref="EdgeEngine"/> over a <see cref="KvCache"/>
/// filled over HTTP from a real node on a loopback port, by the binding protocol and the replication lookups).
/// Writes go to that node's store, and the edge learns of them as it does in service: what <see cref="EdgeProxy"/>
/// does after a forwarded write (drop the written keys), and a dropped namespace as its feed line.
/// </summary>
public sealed class EdgeEngineConformanceTests : KvEngineConformance
{
    private KiviServerFixture _origin = null!;
    private HttpClient? _http;
    private KvCache _cache = null!;

    protected override async Task<IKvEngine> CreateEngineAsync()
    {
        // The origin judges expiry by the real clock: start the suite's clock there (it only moves ahead of it).
        Clock.SetUtcNow(DateTimeOffset.UtcNow);
        _origin = await KiviServerFixture.StartAsync();
        return _origin.Services.GetRequiredService<IKvEngine>();
    }

    protected override (IKvReads Reads, IKvWrites Writes) Front(IKvEngine store)
    {
        var options = new KvCacheOptions { CapacityBytes = 64L * 1024 * 1024 };
        _http = new HttpClient { BaseAddress = _origin.BaseAddress };
        var upstream = new KiviUpstream(_http, KiviServerFixture.Token, options);
        var cache = _cache = new KvCache(upstream, options, Clock);
        var edge = new EdgeEngine(cache, new EdgeUpstreamApi(upstream), KvLimits.WorkersKv, Clock);
        return (edge, new ForwardedWrites(_origin.Services.GetRequiredService<IKvWrites>(), cache));
    }

    [Fact]
    public async Task The_suite_reads_through_the_edge_not_around_it()
    {
        await Put("seen", "v");
        long misses = _cache.Misses, hits = _cache.Hits;
        Assert.Equal("v", await Get("seen")); // a miss: filled over HTTP
        Assert.Equal("v", await Get("seen")); // a hit: from the edge's memory
        Assert.Equal((misses + 1, hits + 1), (_cache.Misses, _cache.Hits));
    }

    /// <summary>A write made at the origin, then what the edge does on its acknowledgement.</summary>
    private sealed class ForwardedWrites(IKvWrites origin, KvCache cache) : IKvWrites
    {
        public async Task<WriteResult> WriteAsync(WriteCommand command)
        {
            var result = await origin.WriteAsync(command);
            if (result.Status != WriteStatus.Ok) return result;
            switch (command)
            {
                case PutEntries put:
                    foreach (var entry in put.Entries) cache.ObserveWrite(new CacheKey(put.Namespace.Id, entry.Key), result.Version, null);
                    break;
                case DeleteEntries delete:
                    foreach (var key in delete.Keys) cache.ObserveWrite(new CacheKey(delete.Namespace.Id, key), result.Version, null);
                    break;
                case DeleteNamespace drop:
                    cache.ObserveNamespaceDropped(drop.NamespaceId);
                    cache.Apply(FeedEvent.Change(ChangeKind.NamespaceDropped, result.Version, result.Version, drop.NamespaceId));
                    break;
            }
            return result;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        await _origin.DisposeAsync(); // stops the node, which closes its store
        await base.DisposeAsync();
    }
}
