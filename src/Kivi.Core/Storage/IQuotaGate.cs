using Kivi.Protocol;

namespace Kivi.Core.Storage;

/// <summary>
/// Admits operations under the configured quotas (none by default) and the optional one-write-a-second limit per key;
/// refuses with Workers KV's 429. KvService asks before every read, list, write and delete it serves.
/// </summary>
public interface IQuotaGate
{
    /// <summary>
    /// Admits <paramref name="count"/> operations of <paramref name="kind"/> on <paramref name="ns"/>, or throws a 429
    /// <see cref="KvException"/>. A write or delete of one <paramref name="key"/> is also held to the per-key write limit
    /// (if on); refused by either, it counts against neither.
    /// </summary>
    ValueTask AdmitAsync(KvNamespace ns, UsageKind kind, long count, CancellationToken cancellationToken, byte[]? key = null);

    /// <summary>The hot path's question: true when one read is admitted without I/O; false sends it down the full pipeline.</summary>
    bool TryAdmitRead(KvNamespace ns);
}
