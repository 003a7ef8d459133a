using System.Collections.Concurrent;
using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Server.Quotas;

/// <summary>
/// Quotas at a store. Each rule and scope (an account or a namespace) in its current period keeps what the usage table
/// held when it was loaded (<c>baseline</c>) and what this node admitted since (<c>local</c>, atomic, so two requests
/// racing for the last unit cannot both get it). After every usage flush the baseline is raised to what the table now
/// holds beyond this node's own admissions: what other origins over the same PostgreSQL admitted, and what edges reported.
/// Exact at a single store; across several origins, within one usage interval of each other.
/// </summary>
internal sealed class StoreQuotas(IReadOnlyList<QuotaRule> rules, IKvUsage usage, TimeProvider time, KeyWriteLimiter? keys) : IQuotaGate
{
    private sealed class Scope(QuotaRule rule, string accountId, string? namespaceId, DateTimeOffset start, DateTimeOffset end)
    {
        public readonly QuotaRule Rule = rule;
        public readonly string AccountId = accountId;
        public readonly string? NamespaceId = namespaceId;
        public readonly DateTimeOffset Start = start, End = end;
        public readonly long[] Baseline = new long[4], Local = new long[4];
        public long StoredKeys, StoredBytes;
        public volatile Task? Loading; // a failed load is tried again by the next operation

        public long Used(UsageKind kind) => Volatile.Read(ref Baseline[(int)kind]) + Volatile.Read(ref Local[(int)kind]);
    }

    private readonly ConcurrentDictionary<(int Rule, string Id), Scope> _scopes = new();

    public async ValueTask AdmitAsync(KvNamespace ns, UsageKind kind, long count, CancellationToken cancellationToken, byte[]? key = null)
    {
        List<Scope>? admitted = null;
        if (rules.Count > 0)
            while (Try(ns, kind, count, out admitted) is { } loading) await loading.WaitAsync(cancellationToken);
        if (key is null || keys is null) return;
        try
        {
            keys.Admit(ns, key);
        }
        catch (KvException)
        {
            foreach (var scope in admitted ?? []) Interlocked.Add(ref scope.Local[(int)kind], -count); // refused: it counts against no quota
            throw;
        }
    }

    public bool TryAdmitRead(KvNamespace ns)
    {
        if (rules.Count == 0) return true;
        try
        {
            return Try(ns, UsageKind.Reads, 1, out _) is null;
        }
        catch (KvException)
        {
            return false; // the full pipeline refuses it, in its own words
        }
    }

    /// <summary>
    /// Admits the operations (null), or returns a scope still loading (admitting nothing, so the caller may wait and try
    /// again), or throws the refusal. Every rule admits, or none counts it.
    /// </summary>
    private Task? Try(KvNamespace ns, UsageKind kind, long count, out List<Scope> admitted)
    {
        admitted = [];
        var scopes = new List<(QuotaRule Rule, Scope Scope)>();
        for (int i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            bool limitsStorage = kind == UsageKind.Writes && (rule.StorageKeys is not null || rule.StorageBytes is not null);
            if (!rule.Operations.ContainsKey(kind) && !limitsStorage || rule.ScopeOf(ns.AccountId, ns.Id) is not { } id) continue;
            var scope = Current(i, id, ns.AccountId);
            var loading = scope.Loading ?? StartLoading(scope);
            if (!loading.IsCompletedSuccessfully) return loading;
            scopes.Add((rule, scope));
        }
        try
        {
            foreach (var (rule, scope) in scopes)
            {
                if (kind == UsageKind.Writes)
                {
                    if (rule.StorageKeys is { } maxKeys && Volatile.Read(ref scope.StoredKeys) >= maxKeys) throw KvErrors.StorageQuotaExceeded(rule.Account, "keys", maxKeys);
                    if (rule.StorageBytes is { } maxBytes && Volatile.Read(ref scope.StoredBytes) >= maxBytes) throw KvErrors.StorageQuotaExceeded(rule.Account, "bytes", maxBytes);
                }
                if (!rule.Operations.TryGetValue(kind, out long limit)) continue;
                if (Interlocked.Add(ref scope.Local[(int)kind], count) + Volatile.Read(ref scope.Baseline[(int)kind]) > limit)
                {
                    Interlocked.Add(ref scope.Local[(int)kind], -count);
                    throw KvErrors.QuotaExceeded(rule.Account, rule.Monthly);
                }
                admitted.Add(scope);
            }
        }
        catch (KvException)
        {
            foreach (var scope in admitted) Interlocked.Add(ref scope.Local[(int)kind], -count);
            throw;
        }
        return null;
    }

    private Task StartLoading(Scope scope)
    {
        lock (scope) return scope.Loading ??= LoadAsync(scope);
    }

    /// <summary>Reads and lists edges reported, now in the usage table: counted against the quotas at once.</summary>
    public void Reported(IEnumerable<UsageCount> rows)
    {
        foreach (var row in rows)
            for (int i = 0; i < rules.Count; i++)
                if (rules[i].ScopeOf(row.AccountId, row.NamespaceId) is { } id && _scopes.TryGetValue((i, id), out var scope) && scope.Loading is { IsCompletedSuccessfully: true })
                {
                    Interlocked.Add(ref scope.Local[(int)UsageKind.Reads], row.Reads);
                    Interlocked.Add(ref scope.Local[(int)UsageKind.Lists], row.Lists);
                }
    }

    /// <summary>Raises each baseline to what the usage table holds beyond this node's admissions, and re-reads storage.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var ((rule, id), scope) in _scopes)
        {
            if (scope.End <= time.GetUtcNow()) { _scopes.TryRemove(new KeyValuePair<(int, string), Scope>((rule, id), scope)); continue; }
            if (scope.Loading is not { IsCompletedSuccessfully: true }) continue;
            var (totals, keysNow, bytesNow) = await ReadAsync(scope, cancellationToken);
            for (int k = 0; k < 4; k++)
            {
                long others = totals[k] - Volatile.Read(ref scope.Local[k]);
                long current = Volatile.Read(ref scope.Baseline[k]);
                if (others > current) Interlocked.CompareExchange(ref scope.Baseline[k], others, current);
            }
            Volatile.Write(ref scope.StoredKeys, keysNow);
            Volatile.Write(ref scope.StoredBytes, bytesNow);
        }
        keys?.Forget();
    }

    /// <summary>Scopes whose reads or lists are used up, for the edges.</summary>
    public IEnumerable<ExhaustedQuota> Exhausted(Func<string, bool> accountVisible)
    {
        foreach (var scope in _scopes.Values)
        {
            if (!accountVisible(scope.AccountId) || scope.End <= time.GetUtcNow()) continue;
            var kinds = scope.Rule.Operations.Where(o => scope.Used(o.Key) >= o.Value).Select(o => o.Key.ToString().ToLowerInvariant()).ToArray();
            if (kinds.Length > 0)
                yield return new ExhaustedQuota(scope.Rule.Account ? "account" : "namespace", scope.NamespaceId ?? scope.AccountId, kinds, scope.End.ToUnixTimeSeconds(), scope.Rule.Monthly);
        }
    }

    /// <summary>The scope of rule <paramref name="rule"/> for <paramref name="id"/> in the current period (a new one once the period ends).</summary>
    private Scope Current(int rule, string id, string accountId)
    {
        var now = time.GetUtcNow();
        if (_scopes.TryGetValue((rule, id), out var scope) && now < scope.End) return scope;
        var (start, end) = rules[rule].Period(now);
        var fresh = new Scope(rules[rule], accountId, rules[rule].Account ? null : id, start, end);
        return _scopes.AddOrUpdate((rule, id), fresh, (_, old) => now < old.End ? old : fresh);
    }

    private async Task LoadAsync(Scope scope)
    {
        (long[] Totals, long Keys, long Bytes) read;
        try
        {
            read = await ReadAsync(scope, CancellationToken.None);
        }
        catch
        {
            scope.Loading = null;
            throw;
        }
        var (totals, keysNow, bytesNow) = read;
        for (int k = 0; k < 4; k++) Volatile.Write(ref scope.Baseline[k], totals[k]);
        Volatile.Write(ref scope.StoredKeys, keysNow);
        Volatile.Write(ref scope.StoredBytes, bytesNow);
    }

    private async Task<(long[] Totals, long Keys, long Bytes)> ReadAsync(Scope scope, CancellationToken cancellationToken)
    {
        var hours = await usage.ReadUsageAsync(scope.AccountId, scope.NamespaceId, scope.Start.ToUnixTimeSeconds(), scope.End.ToUnixTimeSeconds(), cancellationToken);
        var totals = new long[4];
        foreach (var h in hours)
        {
            totals[(int)UsageKind.Reads] += h.Reads;
            totals[(int)UsageKind.Writes] += h.Writes;
            totals[(int)UsageKind.Deletes] += h.Deletes;
            totals[(int)UsageKind.Lists] += h.Lists;
        }
        var stored = (await usage.ReadStorageAsync(scope.AccountId, cancellationToken)).Where(s => scope.NamespaceId is null || s.NamespaceId == scope.NamespaceId).ToList();
        return (totals, stored.Sum(s => s.Keys), stored.Sum(s => s.Bytes));
    }
}
