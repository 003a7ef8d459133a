using System.Diagnostics.Metrics;
using Kivi.Caching;
using Kivi.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Telemetry;

/// <summary>
/// Kivi's own metrics, on the <c>Kivi.Server</c> meter: operations by name and result, and, for what the node runs,
/// its cache, its feed, its store's head, durable head and write queue, and storage per namespace. Everything but the
/// operations counter is observed at scrape time from counts the node keeps anyway: a metric costs nothing per request.
/// </summary>
internal sealed class KiviMetrics
{
    public const string MeterName = "Kivi.Server";

    private static readonly string[] Results = ["ok", "not_found", "throttled", "client_error", "server_error"];

    // Operations by name, each with a counter per result: a request costs a lookup and an atomic add, and the
    // counter is read at scrape time (an OpenTelemetry Counter.Add with tags costs several times that).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StripedCounter[]> _operations = new(StringComparer.Ordinal);

    public KiviMetrics(IMeterFactory meters, IServiceProvider services, StorageGauges storage)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("kivi.operations", ObserveOperations, "{operation}", "KV operations this node answered, by operation and result");

        if (services.GetService<KvCache>() is { } cache)
        {
            meter.CreateObservableCounter("kivi.cache.hits", () => cache.Hits, "{read}", "Reads answered from the cache");
            meter.CreateObservableCounter("kivi.cache.misses", () => cache.Misses, "{read}", "Reads the cache had to fetch");
            meter.CreateObservableCounter("kivi.cache.stale", () => cache.StaleServed, "{read}", "Answers served stale (marked Kivi-Stale) while the upstream was unreachable");
            meter.CreateObservableCounter("kivi.cache.evictions", () => cache.Evictions, "{entry}", "Entries evicted to stay within the cache's memory");
            meter.CreateObservableUpDownCounter("kivi.cache.entries", () => (long)cache.Count, "{entry}", "Entries held");
            meter.CreateObservableUpDownCounter("kivi.cache.size", () => cache.Bytes, "By", "Memory the held entries account for");
            meter.CreateObservableUpDownCounter("kivi.feed.connected", () => cache.FeedHealthy ? 1 : 0, "{feed}", "1 while the change feed is connected and alive");
            meter.CreateObservableGauge("kivi.feed.lag.versions", () => cache.LagVersions, "{version}", "Versions behind the upstream's announced head");
            meter.CreateObservableGauge("kivi.feed.lag.time", () => cache.LagTime.TotalSeconds, "s", "How long the cache has been behind its upstream's head (0 when caught up)");
            meter.CreateObservableCounter("kivi.feed.resets", () => cache.Resets, "{reset}", "Times the cache dropped everything and started again from the upstream's head");
        }
        if (services.GetService<IKvEngine>() is { } engine)
        {
            meter.CreateObservableGauge("kivi.store.head.version", () => engine.HeadVersion, "{version}", "The newest version committed");
            meter.CreateObservableGauge("kivi.store.durable.version", () => engine.DurableHeadVersion, "{version}", "The newest version known to be on disk");
            meter.CreateObservableUpDownCounter("kivi.store.write_queue.depth", () => (long)engine.QueuedWrites, "{write}", "Writes waiting for a group commit");
            meter.CreateObservableUpDownCounter("kivi.storage.keys", storage.Keys, "{key}", "Keys stored, by namespace (the largest 100; the rest as namespace=\"other\")");
            meter.CreateObservableUpDownCounter("kivi.storage.size", storage.Bytes, "By", "Bytes of keys, values and metadata stored, by namespace (as kivi.storage.keys)");
        }
    }

    /// <summary>One operation answered with <paramref name="status"/>.</summary>
    public void Operation(string name, int status)
    {
        if (!_operations.TryGetValue(name, out var counters))
            counters = _operations.GetOrAdd(name, _ => Results.Select(_ => new StripedCounter()).ToArray());
        counters[Result(status)].Increment();
    }

    private IEnumerable<Measurement<long>> ObserveOperations()
    {
        foreach (var (name, counters) in _operations)
            for (int i = 0; i < Results.Length; i++)
                if (counters[i].Sum() is var n and > 0)
                    yield return new Measurement<long>(n, new KeyValuePair<string, object?>("operation", name), new KeyValuePair<string, object?>("result", Results[i]));
    }

    private static int Result(int status) => status switch
    {
        < 400 => 0,
        404 => 1,
        429 => 2,
        < 500 => 3,
        _ => 4,
    };
}
