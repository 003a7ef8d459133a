namespace Kivi.Protocol;

/// <summary>
/// The quotas a store has found exhausted, for its edges (<see cref="Route"/>, with a replication token): an edge refuses
/// reads and lists of those accounts and namespaces itself until <see cref="ExhaustedQuota.Until"/>, and forwards writes,
/// which the store refuses.
/// </summary>
public sealed record QuotaState(IReadOnlyList<ExhaustedQuota> Exhausted)
{
    public const string Route = "/kivi/usage/quotas", Path = "client/v4/kivi/usage/quotas";
}

/// <summary>An account's or a namespace's quota reached for some kinds of operation (reads, writes, deletes, lists) until a time (Unix seconds).</summary>
public sealed record ExhaustedQuota(string Scope, string Id, IReadOnlyList<string> Kinds, long Until, bool Monthly);
