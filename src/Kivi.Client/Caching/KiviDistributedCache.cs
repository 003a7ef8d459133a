using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Kivi.Protocol;
using Microsoft.Extensions.Caching.Distributed;

namespace Kivi.Client.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/> over a Kivi namespace.
/// </summary>
/// <remarks>
/// Workers KV expirations are whole seconds at least 60 s ahead, and a read cannot move them. So:
/// an absolute expiration is kept in the entry's metadata and enforced exactly on every read, while the
/// stored entry lives at least 60 s (then the store removes it). A sliding entry is stored to live
/// <c>sliding + slack</c> (slack a tenth of the window, 1 to 60 s); a read that finds less than the
/// window left writes it again, so an entry read at time t lives at least until t + sliding, and an
/// active entry costs at most one write per slack rather than one per read. Windows under 60 s act as 60 s.
/// </remarks>
public sealed class KiviDistributedCache : IDistributedCache, IBufferDistributedCache
{
    private readonly IKvNamespace _kv;
    private readonly string _prefix;
    private readonly TimeProvider _time;

    public KiviDistributedCache(IKvNamespace kv, KiviDistributedCacheOptions options, TimeProvider time)
    {
        _kv = kv;
        _prefix = options.KeyPrefix;
        _time = time;
    }

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        await ReadAsync(key, token) is { } entry ? entry.Value.ToArray() : null;

    public bool TryGet(string key, IBufferWriter<byte> destination) => TryGetAsync(key, destination).AsTask().GetAwaiter().GetResult();

    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        if (await ReadAsync(key, token) is not { } entry) return false;
        destination.Write(entry.Value.Span);
        return true;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        WriteAsync(key, value, Policy.From(options, _time.GetUtcNow()), ifVersion: null, token);

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).AsTask().GetAwaiter().GetResult();

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        await WriteAsync(key, value.IsSingleSegment ? value.First : value.ToArray(), Policy.From(options, _time.GetUtcNow()), ifVersion: null, token);

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default) => await ReadAsync(key, token);

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default) => _kv.DeleteAsync(_prefix + key, token);

    /// <summary>Reads an entry, enforcing its absolute expiration and extending its sliding window when due.</summary>
    private async Task<KvEntry?> ReadAsync(string key, CancellationToken token)
    {
        if (await _kv.GetWithMetadataAsync(_prefix + key, cancellationToken: token) is not { } entry) return null;
        var now = _time.GetUtcNow();
        var policy = Policy.Read(entry.MetadataJson);
        if (policy.Absolute is { } absolute && absolute <= now) return null;
        // Decided on this process's clock alone (the lifetime it asked for is in the metadata), so a skew
        // between it and the server's clock never causes a write per read.
        if (policy.Sliding is { } sliding && policy.Until is { } until && until - now < sliding && policy.StoreUntil(now) > until)
        {
            try
            {
                await WriteAsync(key, entry.Value, policy, entry.Version, token);
            }
            catch (KvException e) when (e.StatusCode == 412)
            {
                // written meanwhile by someone else, who set its lifetime afresh
            }
        }
        return entry;
    }

    private Task WriteAsync(string key, ReadOnlyMemory<byte> value, Policy policy, long? ifVersion, CancellationToken token)
    {
        var now = _time.GetUtcNow();
        if (policy.Absolute is { } absolute && absolute <= now) return _kv.DeleteAsync(_prefix + key, token);
        var until = policy.StoreUntil(now);
        var options = new KvPutOptions
        {
            Metadata = (policy with { Until = until }).ToMetadata(),
            IfVersion = ifVersion,
            // Workers KV's minimum TTL is 60 s; an earlier absolute expiration is enforced on read.
            ExpirationTtl = until is { } u ? TimeSpan.FromSeconds(Math.Max(60, (long)Math.Ceiling((u - now).TotalSeconds))) : null,
        };
        return _kv.PutAsync(_prefix + key, value, options, token);
    }

    /// <summary>
    /// An entry's expiration policy, kept in its metadata as <c>{"a": unix ms, "s": seconds, "u": unix ms}</c>:
    /// the absolute expiration, the sliding window, and until when the last write asked the store to keep it.
    /// </summary>
    private readonly record struct Policy(DateTimeOffset? Absolute, TimeSpan? Sliding, DateTimeOffset? Until = null)
    {
        public static Policy From(DistributedCacheEntryOptions options, DateTimeOffset now)
        {
            DateTimeOffset? absolute = options.AbsoluteExpiration;
            if (options.AbsoluteExpirationRelativeToNow is { } relative) absolute = now + relative;
            if (absolute <= now && options.AbsoluteExpiration is null)
                throw new ArgumentOutOfRangeException(nameof(options), options.AbsoluteExpirationRelativeToNow, "The relative expiration value must be positive.");
            if (options.SlidingExpiration is { } s && s <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(nameof(options), s, "The sliding expiration value must be positive.");
            return new Policy(absolute, options.SlidingExpiration);
        }

        public static Policy Read(string? metadata)
        {
            if (metadata is null) return default;
            try
            {
                using var doc = JsonDocument.Parse(metadata);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return default;
                DateTimeOffset? absolute = root.TryGetProperty("a", out var a) && a.TryGetInt64(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
                TimeSpan? sliding = root.TryGetProperty("s", out var s) && s.TryGetDouble(out double seconds) ? TimeSpan.FromSeconds(seconds) : null;
                DateTimeOffset? until = root.TryGetProperty("u", out var u) && u.TryGetInt64(out long ums) ? DateTimeOffset.FromUnixTimeMilliseconds(ums) : null;
                return new Policy(absolute, sliding, until);
            }
            catch (JsonException)
            {
                return default; // not written by this cache: no policy of its own
            }
        }

        /// <summary>How long the store should keep the entry from <paramref name="now"/>: null for ever.</summary>
        public DateTimeOffset? StoreUntil(DateTimeOffset now)
        {
            DateTimeOffset? until = Sliding is { } s ? now + s + Slack(s) : null;
            if (Absolute is { } a && (until is null || a < until)) until = a;
            return until;
        }

        private static TimeSpan Slack(TimeSpan sliding) => TimeSpan.FromTicks(Math.Clamp(sliding.Ticks / 10, TimeSpan.TicksPerSecond, 60 * TimeSpan.TicksPerSecond));

        public JsonElement? ToMetadata()
        {
            if (Absolute is null && Sliding is null) return null;
            var parts = new List<string>(2);
            if (Absolute is { } a) parts.Add("\"a\":" + a.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            if (Sliding is { } s) parts.Add("\"s\":" + s.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
            if (Until is { } u && Sliding is not null) parts.Add("\"u\":" + u.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            return JsonDocument.Parse("{" + string.Join(",", parts) + "}").RootElement;
        }
    }
}
