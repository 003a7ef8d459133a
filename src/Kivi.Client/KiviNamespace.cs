using System.Collections.Concurrent;
using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Kivi.Caching;
using Kivi.Protocol;

namespace Kivi.Client;

/// <summary>
/// A namespace over Kivi's binding protocol (value, metadata, expiration and version in one round trip),
/// with the edge's cache in process when enabled: reads are served from memory while the namespace's
/// change feed keeps them current, and a write installs the acknowledged version before returning.
/// </summary>
internal sealed class KiviNamespace : IKvNamespace, IAsyncDisposable
{
    private readonly KiviUpstream _upstream;
    private readonly KvCache? _cache;
    private readonly FeedFollower? _follower;
    private readonly KvLimits _limits;
    private const int MaxHotKeyChars = 1024; // bounds the hot path's stack buffer; a longer key takes the slow path
    private readonly int _hotKeyChars;
    private readonly TimeSpan _defaultCacheTtl;
    private readonly TimeProvider _time;
    private readonly Func<CancellationToken, Task<string>> _accountId;
    /// <summary>
    /// The front index: each key read from the cache, as the string the caller passed, to the cache's slot for it. A hot
    /// read is one string-keyed probe and a freshness check; the slot follows every change the feed or a write installs,
    /// and once the key leaves the cache the slot answers nothing and the read takes the byte-keyed path again.
    /// </summary>
    private readonly ConcurrentDictionary<string, CacheSlot> _front = new(); // ordinal; the default comparer lets it hash strings its fastest way
    private int _frontAdds;
    private readonly long _defaultTtlStamps;
    private readonly TimeSpan _minCacheTtl;
    private const int FrontPruneEvery = 4096;

    public KiviNamespace(string namespaceId, KiviUpstream upstream, KvCache? cache, KvLimits limits, TimeSpan defaultCacheTtl, TimeProvider time,
        Func<CancellationToken, Task<string>> accountId)
    {
        NamespaceId = namespaceId;
        _upstream = upstream;
        _cache = cache;
        _limits = limits;
        _hotKeyChars = Math.Min(limits.MaxKeyBytes, MaxHotKeyChars);
        _defaultCacheTtl = defaultCacheTtl;
        _minCacheTtl = TimeSpan.FromSeconds(limits.MinCacheTtlSeconds);
        _defaultTtlStamps = cache?.TtlStamps(defaultCacheTtl) ?? 0;
        _time = time;
        _accountId = accountId;
        if (cache is not null)
        {
            _follower = new FeedFollower(cache, new WatchFeed(this, prefix: null), time);
            _follower.Start();
        }
    }

    public string NamespaceId { get; }

    /// <summary>The in-process cache, when enabled (tests and diagnostics).</summary>
    internal KvCache? Cache => _cache;

    // ---- reads ----

    public ValueTask<ReadOnlyMemory<byte>?> GetBytesAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (TryHot(key, options) is { } hit)
        {
            if (hit.Value is null) return default; // a key known to be absent
            return new(new ReadOnlyMemory<byte>(hit.Value));
        }
        return Slow(key, options, cancellationToken);

        async ValueTask<ReadOnlyMemory<byte>?> Slow(string key, KvReadOptions? options, CancellationToken ct)
        {
            if (await GetWithMetadataAsync(key, options, ct) is not { } entry) return null;
            return entry.Value;
        }
    }

    public async ValueTask<string?> GetStringAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetBytesAsync(key, options, cancellationToken) is { } bytes ? Encoding.UTF8.GetString(bytes.Span) : null;

    public async ValueTask<T?> GetJsonAsync<T>(string key, JsonTypeInfo<T> jsonTypeInfo, KvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (await GetBytesAsync(key, options, cancellationToken) is not { } bytes) return default;
        try
        {
            return JsonSerializer.Deserialize(bytes.Span, jsonTypeInfo);
        }
        catch (JsonException e)
        {
            throw new KvException(400, KvErrorCode.NotJson, $"The value of \"{key}\" is not JSON of {typeof(T).Name}: {e.Message}", e);
        }
    }

    public async ValueTask<KvEntry?> GetWithMetadataAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (TryHot(key, options) is { } hit)
            return hit.Value is { } value ? new KvEntry(value, hit.Metadata, hit.Expiration, hit.Version) : null;
        return await Calling(async () =>
        {
            var (entry, body, stale) = await ReadAsync(key, options, cancellationToken);
            if (body is not null)
            {
                await using (body) return await BufferAsync(body, stale, cancellationToken);
            }
            return entry?.Value is { } value ? new KvEntry(value, entry.Metadata, entry.Expiration, entry.Version, stale) : null;
        });
    }

    public async ValueTask<Stream?> GetStreamAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (TryHot(key, options) is { } hit) return hit.Value is { } value ? new MemoryStream(value, writable: false) : null;
        return await Calling(async () =>
        {
            var (entry, body, _) = await ReadAsync(key, options, cancellationToken);
            if (body is null) return entry?.Value is { } value ? new MemoryStream(value, writable: false) : null;
            return body.Value is { } small ? new MemoryStream(small, writable: false) : body.Body; // the body owns its response
        });
    }

    /// <summary>
    /// The read below the hot path: through the cache (an entry, or a found value too large to cache as a
    /// body), or for a strong read or an uncached binding straight from the server (a body, or nothing).
    /// </summary>
    private async Task<(CachedEntry? Entry, UpstreamRead? Body, TimeSpan? Stale)> ReadAsync(string key, KvReadOptions? options, CancellationToken ct)
    {
        var cacheKey = new CacheKey(NamespaceId, KeyName.ToUtf8(key, _limits));
        var ttl = CacheTtl(options?.CacheTtl);
        bool strong = options?.Consistency == KvConsistency.Strong;
        if (_cache is { } cache && !strong)
        {
            var cached = await cache.GetAsync(cacheKey, ttl, ct);
            return (cached.Entry, cached.Body, cached.Stale);
        }
        var direct = await _upstream.GetAsync(cacheKey, strong, options?.CacheTtl, ct);
        if (direct.Found) return (null, direct, null);
        await direct.DisposeAsync();
        return (null, null, null);
    }

    public async Task<IReadOnlyDictionary<string, KvEntry?>> GetManyAsync(IEnumerable<string> keys, KvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var distinct = keys.Distinct(StringComparer.Ordinal).ToArray();
        BulkCount.CheckGet(distinct.Length, _limits);
        foreach (var key in distinct) KeyName.ToUtf8(key, _limits); // refuse a bad key before reading any
        var entries = await Task.WhenAll(distinct.Select(k => GetWithMetadataAsync(k, options, cancellationToken).AsTask()));
        var result = new Dictionary<string, KvEntry?>(distinct.Length, StringComparer.Ordinal);
        for (int i = 0; i < distinct.Length; i++) result[distinct[i]] = entries[i];
        return result;
    }

    /// <summary>
    /// The hot read: a key the cache holds fresh, looked up by its UTF-8 bytes on the stack. Null sends the
    /// read the slow way, which also refuses keys this path cannot vouch for (bad UTF-16, too long).
    /// </summary>
    private CachedEntry? TryHot(string key, KvReadOptions? options)
    {
        if (_cache is not { } cache || key is null) return null; // a null key is refused on the slow path
        TimeSpan ttl = _defaultCacheTtl;
        long ttlStamps = _defaultTtlStamps;
        if (options is not null)
        {
            if (options.Consistency == KvConsistency.Strong) return null;
            if (options.CacheTtl is { } asked)
            {
                if (asked < _minCacheTtl) return null; // refused on the slow path
                (ttl, ttlStamps) = (asked, cache.TtlStamps(asked));
            }
        }
        if (_front.TryGetValue(key, out var slot) && slot.Current is not null) return cache.TryGetFresh(slot, ttlStamps); // not fresh: the byte-keyed path would say the same
        return TryHotByBytes(cache, key, ttl, slot);
    }

    /// <summary>The hot read of a key not in the front index (or whose slot died): by its UTF-8 bytes; then indexed. Apart, so the front path stays small.</summary>
    [MethodImpl(MethodImplOptions.NoInlining), SkipLocalsInit]
    private CachedEntry? TryHotByBytes(KvCache cache, string key, TimeSpan ttl, CacheSlot? dead)
    {
        if (dead is not null) _front.TryRemove(new KeyValuePair<string, CacheSlot>(key, dead)); // the key left the cache
        // A key of more UTF-16 units than the limit has bytes is over it too: refused on the slow path.
        if (key.Length == 0 || key.Length > _hotKeyChars) return null;
        Span<byte> utf8 = stackalloc byte[MaxHotKeyChars * 3]; // up to 3 UTF-8 bytes a UTF-16 unit; not zeroed
        if (Utf8.FromUtf16(key, utf8, out _, out int written, replaceInvalidSequences: false) != OperationStatus.Done || written > _limits.MaxKeyBytes) return null;
        var found = cache.TryGetFresh(NamespaceId, utf8[..written], ttl, out var held);
        if (held is not null) Remember(key, held);
        return found;
    }

    /// <summary>Adds a key's slot to the front index; now and then drops the slots of keys that left the cache, so it stays the cache's size.</summary>
    private void Remember(string key, CacheSlot slot)
    {
        _front[key] = slot;
        if (Interlocked.Increment(ref _frontAdds) % FrontPruneEvery != 0) return;
        foreach (var (name, held) in _front)
            if (held.Current is null) _front.TryRemove(new KeyValuePair<string, CacheSlot>(name, held));
    }

    private TimeSpan CacheTtl(TimeSpan? asked)
    {
        return asked is { } ttl ? Expiration.CheckCacheTtl(ttl, _limits) : _defaultCacheTtl;
    }

    private async Task<KvEntry> BufferAsync(UpstreamRead read, TimeSpan? stale, CancellationToken ct)
    {
        if (read.Value is { } value) return new KvEntry(value, read.Metadata, read.Expiration, read.Version, stale);
        if (read.Length > _limits.MaxValueBytes) throw KvErrors.ValueTooLarge(read.Length, _limits.MaxValueBytes);
        using var buffer = read.Length > 0 ? new MemoryStream((int)read.Length) : new MemoryStream();
        await read.Body!.CopyToAsync(buffer, ct);
        return new KvEntry(buffer.ToArray(), read.Metadata, read.Expiration, read.Version, stale);
    }

    // ---- writes ----

    public Task<long> PutAsync(string key, string value, KvPutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutAsync(key, Encoding.UTF8.GetBytes(value), options, cancellationToken);

    public Task<long> PutAsync(string key, ReadOnlyMemory<byte> value, KvPutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(key, new ReadOnlyMemoryContent(value), value.Length, value, retriable: true, options, cancellationToken);

    public Task<long> PutAsync(string key, Stream value, KvPutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(key, new StreamContent(value), value.CanSeek ? value.Length - value.Position : null, null, retriable: false, options, cancellationToken);

    public Task<long> PutJsonAsync<T>(string key, T value, JsonTypeInfo<T> jsonTypeInfo, KvPutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, jsonTypeInfo), options, cancellationToken);

    private async Task<long> PutCoreAsync(string key, HttpContent content, long? length, ReadOnlyMemory<byte>? value, bool retriable, KvPutOptions? options, CancellationToken ct)
    {
        using var _ = content;
        var utf8 = KeyName.ToUtf8(key, _limits);
        if (length > _limits.MaxValueBytes) throw KvErrors.ValueTooLarge(length.Value, _limits.MaxValueBytes);
        string? metadata = Metadata.Normalize(options?.Metadata, _limits);
        var query = new StringBuilder("?urlencoded=true");
        string? expiration = options?.Expiration?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string? ttl = options?.ExpirationTtl is { } t ? ((long)Math.Ceiling(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : null;
        Expiration.Resolve(expiration, ttl, _time.GetUtcNow().ToUnixTimeSeconds(), _limits); // the server checks again, with its clock
        if (ttl is not null) query.Append("&expiration_ttl=").Append(ttl);
        else if (expiration is not null) query.Append("&expiration=").Append(expiration);
        if (options is { IfAbsent: true, IfVersion: not null }) throw KvErrors.InvalidRequest("Give IfVersion or IfAbsent, not both.");

        using var request = _upstream.BindingRequest(NamespaceId, "/" + KiviUpstream.PercentEncode(utf8) + query, HttpMethod.Put);
        request.Content = content;
        if (length is { } l) content.Headers.ContentLength = l;
        if (metadata is not null)
            request.Headers.TryAddWithoutValidation(KiviHeaders.CfKvMetadata, KiviHeaders.AsciiJson(metadata));
        bool conditional = options is { IfVersion: not null } or { IfAbsent: true };
        if (options?.IfVersion is { } version) request.Headers.TryAddWithoutValidation("If-Match", "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"");
        if (options is { IfAbsent: true }) request.Headers.TryAddWithoutValidation("If-None-Match", "*");
        if (!retriable || conditional) KiviResilience.MarkNotRetriable(request); // a conditional put that succeeded once would fail its retry

        return await Calling(async () =>
        {
            using var response = await _upstream.SendAsync(request, ct);
            await _upstream.EnsureSuccessAsync(response, "put", ct);
            long written = KiviUpstream.HeaderLong(response, KiviHeaders.Version) ?? throw new KvException(502, KvErrorCode.InternalError, "The server acknowledged a put without its version.");
            if (_cache is { } cache)
            {
                // Read your writes: the acknowledged version is what this process reads next.
                var key = new CacheKey(NamespaceId, utf8);
                bool install = value is { } v && v.Length <= cache.Options.MaxEntryBytes;
                cache.ObserveWrite(key, written, install ? cache.WrittenEntry(value!.Value.ToArray(), metadata, KiviUpstream.HeaderLong(response, KiviHeaders.Expiration), written) : null,
                    KiviUpstream.HeaderLong(response, KiviHeaders.Epoch));
            }
            return written;
        });
    }

    public async Task<long> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var utf8 = KeyName.ToUtf8(key, _limits);
        return await Calling(async () =>
        {
            using var request = _upstream.BindingRequest(NamespaceId, "/" + KiviUpstream.PercentEncode(utf8) + "?urlencoded=true", HttpMethod.Delete);
            using var response = await _upstream.SendAsync(request, cancellationToken);
            await _upstream.EnsureSuccessAsync(response, "delete", cancellationToken);
            long version = KiviUpstream.HeaderLong(response, KiviHeaders.Version) ?? 0;
            _cache?.ObserveWrite(new CacheKey(NamespaceId, utf8), version, _cache.WrittenEntry(null, null, null, version), KiviUpstream.HeaderLong(response, KiviHeaders.Epoch));
            return version;
        });
    }

    // ---- lists ----

    public async Task<KvListResult> ListAsync(KvListOptions? options = null, CancellationToken cancellationToken = default)
    {
        int limit = ListLimit.Check(options?.Limit ?? _limits.MaxListLimit, minLimit: 1, _limits);
        var prefix = KeyName.PrefixToUtf8(options?.Prefix, _limits);
        var startAfter = ListCursor.Decode(options?.Cursor);
        var ttl = CacheTtl(options?.CacheTtl);
        bool strong = options?.Consistency == KvConsistency.Strong;
        var (keys, more) = await Calling(async () =>
        {
            if (_cache is { } cache && !strong)
            {
                var page = await cache.ListAsync(NamespaceId, prefix, startAfter, limit, ttl, cancellationToken);
                return (page.Keys, page.More);
            }
            var direct = await _upstream.ListAsync(NamespaceId, prefix, startAfter, limit, strong, options?.CacheTtl, cancellationToken);
            return (direct.Keys, direct.More);
        });
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        var listed = keys.Where(k => !Expiration.IsExpired(k.Expiration, now))
            .Select(k => new KvKey(KeyName.FromUtf8(k.Key), k.Expiration, k.Metadata)).ToArray();
        return new KvListResult(listed, !more, more && keys.Count > 0 ? ListCursor.Encode(keys[^1].Key) : null);
    }

    public async IAsyncEnumerable<KvKey> ListAllAsync(string? prefix = null, KvReadOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await ListAsync(new KvListOptions { Prefix = prefix, Cursor = cursor, CacheTtl = options?.CacheTtl, Consistency = options?.Consistency ?? default }, cancellationToken);
            foreach (var key in page.Keys) yield return key;
            cursor = page.Cursor;
        } while (cursor is not null);
    }

    /// <summary>The store's position now: a watch from it misses nothing written after this call.</summary>
    internal async Task<long> HeadAsync(CancellationToken cancellationToken) =>
        (await Calling(() => _upstream.ListAsync(NamespaceId, [], null, 1, strong: true, cacheTtl: null, cancellationToken))).AsOf;

    // ---- watch ----

    public async IAsyncEnumerable<KvChange> WatchAsync(string? prefix = null, long? afterVersion = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        KeyName.PrefixToUtf8(prefix, _limits);
        var feed = new WatchFeed(this, prefix);
        long position = afterVersion ?? -1;
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            await using (var lines = feed.ReadAsync(new FeedPosition(position), cancellationToken).GetAsyncEnumerator(cancellationToken))
            {
                while (true)
                {
                    FeedEvent e;
                    try
                    {
                        if (!await lines.MoveNextAsync()) break;
                        e = lines.Current;
                    }
                    catch (UpstreamUnavailableException)
                    {
                        break; // reconnect below and resume from the last version seen
                    }
                    catch (UpstreamRefusedException r)
                    {
                        throw Refused(r);
                    }
                    backoff = TimeSpan.FromMilliseconds(100);
                    if (e.Type == FeedLineType.Heartbeat)
                    {
                        // The first line (it carries the store's lineage) announces the head: a resuming watcher has not
                        // yet been sent the changes up to it. Later heartbeats say how far it has been sent.
                        if (e.Lineage is null || position < 0) position = Math.Max(position, e.Head);
                        continue;
                    }
                    if (e.Is(ChangeKind.Reset))
                    {
                        position = e.Head;
                        yield return new KvChange(ChangeKind.Reset, null, e.Head);
                        continue;
                    }
                    position = e.Version;
                    yield return new KvChange(e.Kind, e.Key is null ? null : KeyName.FromUtf8(e.Key), e.Version, e.Expiration, e.Value, e.Metadata);
                    if (e.Kind == ChangeKind.NamespaceDropped) yield break;
                }
            }
            await Task.Delay(backoff, _time, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    /// <summary>The namespace's watch as a cache feed (every key) or a watch (a prefix), found once the account is known.</summary>
    private sealed class WatchFeed(KiviNamespace owner, string? prefix) : IKvFeed
    {
        public async IAsyncEnumerable<FeedEvent> ReadAsync(FeedPosition from, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            string account = await owner._accountId(cancellationToken);
            string path = $"client/v4/accounts/{account}/storage/kv/namespaces/{owner.NamespaceId}/changes"
                + (string.IsNullOrEmpty(prefix) ? "" : "?prefix=" + Uri.EscapeDataString(prefix));
            await foreach (var e in owner._upstream.ReadFeedAsync(path, from, cancellationToken)) yield return e;
        }
    }

    // ---- errors ----

    /// <summary>Runs a call, turning the transport's failures into the one exception type of the SDK.</summary>
    private static async Task<T> Calling<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (UpstreamUnavailableException e)
        {
            throw new KvException(503, KvErrorCode.UpstreamUnavailable, e.Message, e);
        }
        catch (UpstreamRefusedException e)
        {
            throw Refused(e);
        }
    }

    private static KvException Refused(UpstreamRefusedException e) =>
        new(e.StatusCode, e.Code != 0 ? e.Code : e.StatusCode is 401 or 403 ? KvErrorCode.AuthenticationError : KvErrorCode.InvalidRequest,
            e.ServerMessage.Length > 0 ? e.ServerMessage : e.Message, e);

    public async ValueTask DisposeAsync()
    {
        if (_follower is not null) await _follower.DisposeAsync();
    }
}
