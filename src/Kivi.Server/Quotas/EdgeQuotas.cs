using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Server.Quotas;

/// <summary>
/// Quotas at an edge: the store keeps them; the edge learns which are used up every usage interval
/// (<see cref="QuotaState"/>) and refuses reads and lists of those itself, with the store's answer. Writes are forwarded
/// and the store admits or refuses them.
/// </summary>
internal sealed class EdgeQuotas(TimeProvider time) : IQuotaGate
{
    private volatile IReadOnlyList<ExhaustedQuota> _exhausted = [];

    public void Set(IReadOnlyList<ExhaustedQuota> exhausted) => _exhausted = exhausted;

    public ValueTask AdmitAsync(KvNamespace ns, UsageKind kind, long count, CancellationToken cancellationToken, byte[]? key = null)
    {
        if (Refusing(ns, kind) is { } refusal) throw KvErrors.QuotaExceeded(refusal.Scope == "account", refusal.Monthly);
        return ValueTask.CompletedTask;
    }

    public bool TryAdmitRead(KvNamespace ns) => Refusing(ns, UsageKind.Reads) is null;

    private ExhaustedQuota? Refusing(KvNamespace ns, UsageKind kind)
    {
        var exhausted = _exhausted;
        if (exhausted.Count == 0) return null;
        string name = kind.ToString().ToLowerInvariant();
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        return exhausted.FirstOrDefault(e => e.Until > now && e.Kinds.Contains(name)
            && (e.Scope == "account" ? e.Id == ns.AccountId : e.Id == ns.Id));
    }
}
