using System.Diagnostics.Metrics;
using Kivi.Core.Storage;

namespace Kivi.Server.Telemetry;

/// <summary>
/// Storage per namespace for the metrics, read from the store's own counts after each usage flush (never by a scan,
/// never at scrape time). Labels are bounded: the 100 largest namespaces by bytes, the rest summed as "other".
/// </summary>
internal sealed class StorageGauges
{
    public const int MaxNamespaces = 100;

    private volatile IReadOnlyList<StorageUsage> _largest = [];

    public async Task RefreshAsync(IKvEngine engine, CancellationToken cancellationToken)
    {
        var all = new List<StorageUsage>();
        foreach (var account in await engine.ListAccountsAsync(cancellationToken)) all.AddRange(await engine.ReadStorageAsync(account, cancellationToken));
        var ordered = all.OrderByDescending(s => s.Bytes).ThenBy(s => s.NamespaceId, StringComparer.Ordinal).ToList();
        var shown = ordered.Take(MaxNamespaces).ToList();
        if (ordered.Count > MaxNamespaces)
            shown.Add(new StorageUsage("other", ordered.Skip(MaxNamespaces).Sum(s => s.Keys), ordered.Skip(MaxNamespaces).Sum(s => s.Bytes)));
        _largest = shown;
    }

    public IEnumerable<Measurement<long>> Keys() => _largest.Select(s => new Measurement<long>(s.Keys, new KeyValuePair<string, object?>("namespace", s.NamespaceId)));

    public IEnumerable<Measurement<long>> Bytes() => _largest.Select(s => new Measurement<long>(s.Bytes, new KeyValuePair<string, object?>("namespace", s.NamespaceId)));
}
