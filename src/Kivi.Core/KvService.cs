using System.Text.Json;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Core;

/// <summary>
/// Workers KV semantics over an engine's capabilities: validate every input once, then delegate. Every node reads;
/// a node with a store also writes and keeps the catalog (an edge forwards those upstream and has neither).
/// </summary>
public sealed class KvService
{
    private readonly IKvReads _reads;
    private readonly IKvWrites? _writes;
    private readonly IKvCatalog? _catalog;
    private readonly TimeProvider _time;
    private readonly IUsageMeter? _meter;
    private readonly IQuotaGate? _quota;

    public KvService(IKvReads reads, KvLimits limits, TimeProvider time, IKvWrites? writes = null, IKvCatalog? catalog = null, IUsageMeter? meter = null, IQuotaGate? quota = null)
    {
        _reads = reads;
        _meter = meter;
        _quota = quota;
        _writes = writes;
        _catalog = catalog;
        Limits = limits;
        _time = time;
    }

    public KvLimits Limits { get; }

    /// <summary>What this node reads through: a store, a single node's cache, an edge's cache.</summary>
    public IKvReads Reads => _reads;

    private IKvWrites Writes => _writes ?? throw new InvalidOperationException("This node has no store: its writes are forwarded upstream and never reach its KvService.");

    private IKvCatalog Catalog => _catalog ?? throw new InvalidOperationException("This node has no store: namespace listings are forwarded upstream and never reach its KvService.");

    /// <summary>Current time in whole epoch seconds, the unit of every expiration.</summary>
    public long NowSeconds => _time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Where a read is counted: nowhere when an edge fills its cache (the edge counts the read it serves).</summary>
    private IUsageMeter? Meter(ReadOptions read) => read.FromEdge ? null : _meter;

    /// <summary>Admits operations under the quotas (a read an edge makes to fill its cache is not one).</summary>
    private ValueTask AdmitAsync(KvNamespace ns, UsageKind kind, long count, CancellationToken cancellationToken, ReadOptions? read = null, byte[]? key = null) =>
        _quota is null || read?.FromEdge == true ? ValueTask.CompletedTask : _quota.AdmitAsync(ns, kind, count, cancellationToken, key);

    /// <summary>A change made now by <paramref name="caller"/>, as the change log and the usage table record it.</summary>
    private ChangeAuthor Author(Caller caller) => caller.Author(_time.GetUtcNow().ToUnixTimeMilliseconds());

    // ---- accounts and namespaces ----

    public async ValueTask EnsureAccountExistsAsync(string accountId, CancellationToken cancellationToken)
    {
        if (!await _reads.AccountExistsAsync(accountId, cancellationToken)) throw KvErrors.AccountNotFound(accountId);
    }

    public async ValueTask<KvNamespace> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken) =>
        await _reads.GetNamespaceAsync(accountId, namespaceId, cancellationToken) ?? throw KvErrors.NamespaceNotFound();

    /// <summary>Creates a namespace with a new id, or with <paramref name="id"/> when given (a restore keeps ids that Workers are bound to).</summary>
    public async Task<KvNamespace> CreateNamespaceAsync(string accountId, string? title, CancellationToken cancellationToken, string? id = null, string? jurisdiction = null)
    {
        string checkedTitle = CheckTitle(title);
        if (id is not null && !IsNamespaceId(id)) throw KvErrors.NamespaceIdInvalid(id);
        if (jurisdiction is not null && !Jurisdictions.Contains(jurisdiction)) throw KvErrors.JurisdictionInvalid(jurisdiction, Jurisdictions);
        await EnsureAccountExistsAsync(accountId, cancellationToken);
        var result = await Writes.WriteAsync(new CreateNamespace(accountId, id ?? Guid.NewGuid().ToString("N"), checkedTitle, Limits.MaxNamespacesPerAccount, jurisdiction));
        return result.Status switch
        {
            WriteStatus.Ok => result.Namespace!,
            WriteStatus.NamespaceIdExists => throw KvErrors.NamespaceIdExists(id!),
            WriteStatus.TitleExists => throw KvErrors.NamespaceTitleExists(),
            WriteStatus.NamespaceLimitReached => throw KvErrors.NamespaceLimitReached(Limits.MaxNamespacesPerAccount),
            _ => throw Unexpected(result.Status),
        };
    }

    /// <summary>Workers KV's jurisdictions: where a namespace's data must stay. Kivi stores and reports it; placement is the operator's.</summary>
    public static readonly string[] Jurisdictions = ["eu", "us", "fedramp"];

    /// <summary>Renames a namespace; a <paramref name="jurisdiction"/> sent along must be the one it has (it never changes).</summary>
    public async Task<KvNamespace> RenameNamespaceAsync(string accountId, string namespaceId, string? title, CancellationToken cancellationToken, string? jurisdiction = null)
    {
        string checkedTitle = CheckTitle(title);
        if (jurisdiction is not null && (await GetNamespaceAsync(accountId, namespaceId, cancellationToken)).Jurisdiction is var current && current != jurisdiction)
            throw KvErrors.JurisdictionFixed(current);
        var result = await Writes.WriteAsync(new RenameNamespace(accountId, namespaceId, checkedTitle));
        return result.Status switch
        {
            WriteStatus.Ok => result.Namespace!,
            WriteStatus.NamespaceNotFound => throw KvErrors.NamespaceNotFound(),
            WriteStatus.TitleExists => throw KvErrors.NamespaceTitleExists(),
            _ => throw Unexpected(result.Status),
        };
    }

    public async Task DeleteNamespaceAsync(string accountId, string namespaceId, Caller by, CancellationToken cancellationToken)
    {
        var result = await Writes.WriteAsync(new DeleteNamespace(accountId, namespaceId, Author(by)));
        if (result.Status == WriteStatus.NamespaceNotFound) throw KvErrors.NamespaceNotFound();
    }

    /// <summary>
    /// Lists namespaces a page at a time; a page past the end is empty, as clients that page until empty
    /// expect. With <paramref name="visible"/>, only the namespaces it accepts are listed and counted.
    /// </summary>
    public async ValueTask<NamespacePage> ListNamespacesAsync(string accountId, int page, int perPage, NamespaceOrder order, bool descending, Func<KvNamespace, bool>? visible, CancellationToken cancellationToken)
    {
        if (page < 1) throw KvErrors.InvalidRequest("page must be a whole number of at least 1.");
        if (perPage < 1 || perPage > Limits.MaxNamespacesPerAccount)
            throw KvErrors.InvalidRequest($"per_page must be a whole number from 1 to {Limits.MaxNamespacesPerAccount}.");
        long skip = (long)(page - 1) * perPage;
        if (visible is null)
            return skip > int.MaxValue ? new NamespacePage([], 0) : await Catalog.ListNamespacesAsync(accountId, order, descending, (int)skip, perPage, cancellationToken);
        // An account holds at most MaxNamespacesPerAccount namespaces: filter them all, then page.
        var all = await Catalog.ListNamespacesAsync(accountId, order, descending, 0, int.MaxValue, cancellationToken);
        var shown = all.Items.Where(visible).ToArray();
        return new NamespacePage(shown.Skip((int)Math.Min(skip, int.MaxValue)).Take(perPage).ToArray(), shown.Length);
    }

    private static bool IsNamespaceId(string id) => id.Length == 32 && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private string CheckTitle(string? title)
    {
        if (string.IsNullOrWhiteSpace(title) || title.Length > Limits.MaxNamespaceTitleLength)
            throw KvErrors.NamespaceTitleInvalid(Limits.MaxNamespaceTitleLength);
        return title;
    }

    // ---- values ----

    /// <summary>The options of a read made now: <paramref name="read"/> with this service's clock.</summary>
    private ReadOptions Now(ReadOptions read) => read with { Now = NowSeconds };

    /// <summary>Reads a value; counted as one read (found or not) in the namespace's usage.</summary>
    public async ValueTask<KvRead<StoredValue?>> GetAsync(KvNamespace ns, string? key, ReadOptions read, CancellationToken cancellationToken)
    {
        var keyBytes = KeyName.ToUtf8(key, Limits);
        await AdmitAsync(ns, UsageKind.Reads, 1, cancellationToken, read);
        var found = await _reads.GetAsync(ns, keyBytes, Now(read), cancellationToken);
        Meter(read)?.Read(ns, found.Value?.Length ?? 0);
        return found;
    }

    /// <summary>Reads a key's metadata, expiration and version; counted as one read.</summary>
    public async ValueTask<KvRead<EntryInfo?>> GetInfoAsync(KvNamespace ns, string? key, ReadOptions read, CancellationToken cancellationToken)
    {
        var keyBytes = KeyName.ToUtf8(key, Limits);
        await AdmitAsync(ns, UsageKind.Reads, 1, cancellationToken, read);
        var found = await _reads.GetInfoAsync(ns, keyBytes, Now(read), cancellationToken);
        Meter(read)?.Read(ns, 0);
        return found;
    }

    /// <summary>Validates and durably writes one value; returns the version it was given.</summary>
    public async Task<long> PutAsync(KvNamespace ns, PutRequest request, Caller by) => (await PutEntryAsync(ns, request, by)).Version;

    /// <summary>Validates and durably writes one value; returns its version and the absolute expiration it was given.</summary>
    public async Task<(long Version, long? Expiration)> PutEntryAsync(KvNamespace ns, PutRequest request, Caller by)
    {
        var write = CheckPut(request.Key, request.Value, request.Expiration, request.ExpirationTtl, Metadata.Normalize(request.MetadataJson.Span, Limits));
        var condition = Conditions.Parse(request.IfMatch, request.IfNoneMatch, NowSeconds);
        await AdmitAsync(ns, UsageKind.Writes, 1, CancellationToken.None, key: write.Key);
        return (await CommitPutAsync(ns, [write], by, condition), write.Expiration);
    }

    /// <summary>
    /// Deletes one key (a missing key is not an error); returns the store's version after the delete. With
    /// <paramref name="ifMatch"/> (Kivi's addition) it deletes only that version of a live entry, else 412 and nothing changes.
    /// </summary>
    public async Task<long> DeleteAsync(KvNamespace ns, string? key, Caller by, string? ifMatch = null, string? ifNoneMatch = null)
    {
        var bytes = KeyName.ToUtf8(key, Limits);
        if (!string.IsNullOrEmpty(ifNoneMatch)) throw KvErrors.InvalidRequest("A delete takes If-Match (the version to delete), not If-None-Match.");
        var condition = Conditions.Parse(ifMatch, null, NowSeconds);
        await AdmitAsync(ns, UsageKind.Deletes, 1, CancellationToken.None, key: bytes);
        var result = await Writes.WriteAsync(new DeleteEntries(ns, [bytes], Author(by), condition));
        if (result.Status == WriteStatus.NamespaceNotFound) throw KvErrors.NamespaceNotFound();
        if (result.Status == WriteStatus.PreconditionFailed) throw KvErrors.PreconditionFailed(false, condition!.MatchVersion);
        return result.Version;
    }

    private EntryWrite CheckPut(string? key, ValueBuffer value, string? expiration, string? expirationTtl, string? metadata)
    {
        var keyBytes = KeyName.ToUtf8(key, Limits);
        if (value.Length > Limits.MaxValueBytes) throw KvErrors.ValueTooLarge(value.Length, Limits.MaxValueBytes);
        var expires = Expiration.Resolve(expiration, expirationTtl, NowSeconds, Limits);
        return new EntryWrite(keyBytes, value, metadata, expires);
    }

    private async Task<long> CommitPutAsync(KvNamespace ns, IReadOnlyList<EntryWrite> writes, Caller by, Precondition? condition = null)
    {
        var result = await Writes.WriteAsync(new PutEntries(ns, writes, condition, Author(by)));
        if (result.Status == WriteStatus.NamespaceNotFound) throw KvErrors.NamespaceNotFound();
        if (result.Status == WriteStatus.PreconditionFailed) throw KvErrors.PreconditionFailed(condition!.MustBeAbsent, condition.MatchVersion);
        return result.Version;
    }

    // ---- listing ----

    /// <summary>
    /// Lists keys by literal, case-sensitive prefix in UTF-8 byte order. <paramref name="minLimit"/> is 1 on
    /// the binding and 10 on REST, as Cloudflare's OpenAPI states.
    /// </summary>
    public async ValueTask<KvRead<KeyPage>> ListKeysAsync(KvNamespace ns, string? prefix, string? limit, string? cursor, int minLimit, ReadOptions read, CancellationToken cancellationToken)
    {
        int take = ListLimit.Parse(limit, minLimit, Limits);
        var prefixBytes = KeyName.PrefixToUtf8(prefix, Limits);
        var after = ListCursor.Decode(cursor);
        await AdmitAsync(ns, UsageKind.Lists, 1, cancellationToken, read);
        var listed = await _reads.ListAsync(ns, prefixBytes, after, take + 1, Now(read), cancellationToken);
        Meter(read)?.List(ns);
        var rows = listed.Value;
        if (rows.Count <= take) return listed.With(new KeyPage(rows, null));
        var page = rows.Take(take).ToArray();
        return listed.With(new KeyPage(page, ListCursor.Encode(page[^1].Key)));
    }

    // ---- bulk ----

    /// <summary>Validates every pair first, then writes them all in one atomic commit.</summary>
    public Task<(int Count, long Version)> BulkPutAsync(KvNamespace ns, IReadOnlyList<BulkWriteItem?> items, Caller by)
    {
        BulkCount.CheckWrite(items.Count, Limits);
        var writes = new CheckedBulkItem[items.Count];
        long now = NowSeconds;
        for (int i = 0; i < items.Count; i++)
        {
            try
            {
                writes[i] = BulkItemRules.Check(items[i], now, Limits);
            }
            catch (KvException e) when (e.StatusCode == 400)
            {
                throw KvErrors.BulkItemAt(i, items[i]?.Key, e);
            }
        }
        return BulkPutAsync(ns, writes, by);
    }

    /// <summary>Writes pairs already checked (by <see cref="BulkItemRules.Check"/> or <see cref="BulkItemReader"/>) in one atomic commit.</summary>
    public async Task<(int Count, long Version)> BulkPutAsync(KvNamespace ns, IReadOnlyList<CheckedBulkItem> items, Caller by)
    {
        BulkCount.CheckWrite(items.Count, Limits);
        if (items.Count == 0) return (0, _reads.HeadVersion);
        var writes = new EntryWrite[items.Count];
        for (int i = 0; i < writes.Length; i++)
        {
            var item = items[i];
            writes[i] = new EntryWrite(item.Key, ValueBuffer.FromBytes(item.Value), item.Metadata, item.Expiration);
        }
        await AdmitAsync(ns, UsageKind.Writes, writes.Length, CancellationToken.None);
        return (writes.Length, await CommitPutAsync(ns, writes, by));
    }

    public async Task<(int Count, long Version)> BulkDeleteAsync(KvNamespace ns, IReadOnlyList<string?> keys, Caller by)
    {
        BulkCount.CheckDelete(keys.Count, Limits);
        var bytes = keys.Select(k => KeyName.ToUtf8(k, Limits)).ToArray();
        if (bytes.Length == 0) return (0, _reads.HeadVersion);
        await AdmitAsync(ns, UsageKind.Deletes, bytes.Length, CancellationToken.None);
        var result = await Writes.WriteAsync(new DeleteEntries(ns, bytes, Author(by)));
        if (result.Status == WriteStatus.NamespaceNotFound) throw KvErrors.NamespaceNotFound();
        return (bytes.Length, result.Version);
    }

    public static BulkGetType ParseBulkGetType(string? type) => type switch
    {
        null or "" or "text" => BulkGetType.Text,
        "json" => BulkGetType.Json,
        _ => throw KvErrors.BulkGetBadType(type),
    };

    /// <summary>Reads up to 100 keys (missing keys come back with a null value); the answer reflects its oldest part (the lowest position, the largest staleness).</summary>
    public async Task<KvRead<IReadOnlyList<BulkGetResult>>> BulkGetAsync(KvNamespace ns, IReadOnlyList<string?>? keys, BulkGetType type, ReadOptions read, CancellationToken cancellationToken)
    {
        BulkCount.CheckGet(keys?.Count ?? 0, Limits);
        ArgumentNullException.ThrowIfNull(keys); // CheckGet refused none
        var keyBytes = keys.Select(k => KeyName.ToUtf8(k, Limits)).ToArray();
        await AdmitAsync(ns, UsageKind.Reads, keyBytes.Length, cancellationToken, read);
        long total = 0, asOf = long.MaxValue;
        TimeSpan? stale = null;
        read = Now(read);
        var results = new BulkGetResult[keys.Count];
        for (int i = 0; i < keyBytes.Length; i++)
        {
            var found = await _reads.GetAsync(ns, keyBytes[i], read, cancellationToken);
            Meter(read)?.Read(ns, found.Value?.Length ?? 0);
            asOf = Math.Min(asOf, found.AsOf);
            if (found.Stale is { } s && (stale is null || s > stale)) stale = s;
            await using var value = found.Value;
            if (value is null)
            {
                results[i] = new BulkGetResult(keys[i]!, null, null, null, 0);
                continue;
            }
            total += value.Length;
            if (total > Limits.MaxBulkGetResponseBytes) throw KvErrors.BulkGetTooLarge(Limits.MaxBulkGetResponseBytes);
            var bytes = await value.ReadAllAsync(cancellationToken);
            if (type == BulkGetType.Json && !IsJson(bytes.Span)) throw KvErrors.BulkGetNotJson();
            results[i] = new BulkGetResult(keys[i]!, bytes, value.Metadata, value.Expiration, value.Version);
        }
        return new KvRead<IReadOnlyList<BulkGetResult>>(results, asOf, stale);
    }

    private static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read()) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }


    private static InvalidOperationException Unexpected(WriteStatus status) => new($"Unexpected write status {status}.");
}
