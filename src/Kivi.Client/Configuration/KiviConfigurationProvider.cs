using Kivi.Protocol;
using Microsoft.Extensions.Configuration;

namespace Kivi.Client.Configuration;

/// <summary>
/// Loads every key under the prefix at start (a strong read, so a new process never starts from an
/// older copy than the store holds), then follows the namespace's watch from the version it loaded and
/// applies each change, signalling a reload so <c>IOptionsMonitor</c> and feature flags see it.
/// A key <c>{prefix}Logging/LogLevel/Default</c> is the path <c>Logging:LogLevel:Default</c>.
/// </summary>
public sealed class KiviConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly KiviConfigurationSource _source;
    private readonly CancellationTokenSource _stop = new();
    private readonly KiviClient _client;
    private readonly KiviNamespace _kv;
    private Task? _watch;

    public KiviConfigurationProvider(KiviConfigurationSource source)
    {
        _source = source;
        if (string.IsNullOrWhiteSpace(source.NamespaceId)) throw new ArgumentException("AddKivi needs the namespace id to read configuration from.", nameof(source));
        _client = new KiviClient(source.Client);
        _kv = (KiviNamespace)_client.GetNamespace(new KvNamespaceOptions { NamespaceId = source.NamespaceId, Cache = false }, "configuration");
    }

    /// <summary>Raised after a change from the server was applied (tests, logging).</summary>
    public event Action<KvChange>? Changed;

    public override void Load()
    {
        long head;
        try
        {
            (Data, head) = LoadAllAsync(_stop.Token).GetAwaiter().GetResult();
        }
        catch (KvException) when (_source.Optional)
        {
            head = -1; // start empty; the watch loads what it can once the server answers
        }
        catch (KvException e)
        {
            throw new InvalidOperationException($"Kivi configuration could not be read from namespace {_source.NamespaceId} at {_source.Client.Url}: {e.Message}", e);
        }
        if (_source.ReloadOnChange && _watch is null) _watch = Task.Run(() => WatchAsync(head, _stop.Token));
    }

    private async Task<(Dictionary<string, string?> Data, long Head)> LoadAllAsync(CancellationToken ct)
    {
        // The watch resumes from here: anything written while loading is applied again, which is harmless.
        long head = await _kv.HeadAsync(ct);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        await foreach (var key in _kv.ListAllAsync(_source.Prefix, KvReadOptions.StrongRead, ct)) names.Add(key.Name);
        foreach (var chunk in names.Chunk(KvLimits.WorkersKv.MaxBulkGetKeys))
            foreach (var (name, entry) in await _kv.GetManyAsync(chunk, KvReadOptions.StrongRead, ct))
                if (entry is not null) data[PathOf(name)] = entry.Text;
        return (data, head);
    }

    private async Task WatchAsync(long after, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var change in _kv.WatchAsync(_source.Prefix, after < 0 ? null : after, ct))
                {
                    after = change.Version;
                    await ApplyAsync(change, ct);
                    OnReload();
                    Changed?.Invoke(change);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (KvException)
            {
                // refused (a token revoked, the namespace gone): keep the last values, try again later
                await Task.Delay(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Applies a change to a copy and swaps it in: readers on other threads only ever see a whole
    /// dictionary (Data is a plain one, read without locks by the configuration root).
    /// </summary>
    private async Task ApplyAsync(KvChange change, CancellationToken ct)
    {
        if (change.Kind is not (ChangeKind.Put or ChangeKind.Delete or ChangeKind.Expire))
        {
            (Data, _) = await LoadAllAsync(ct); // reset or namespace dropped: read everything again
            return;
        }
        string? text = null;
        if (change.Kind == ChangeKind.Put)
            text = change.Value is { } inline ? System.Text.Encoding.UTF8.GetString(inline.Span) : await _kv.GetStringAsync(change.Key!, KvReadOptions.StrongRead, ct);
        var next = new Dictionary<string, string?>(Data, StringComparer.OrdinalIgnoreCase);
        if (text is null) next.Remove(PathOf(change.Key!));
        else next[PathOf(change.Key!)] = text;
        Data = next;
    }

    private string PathOf(string key)
    {
        string path = key[_source.Prefix.Length..].Replace('/', ':');
        return string.IsNullOrEmpty(_source.Section) ? path : _source.Section + ":" + path;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _watch?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stop.Dispose();
    }
}
