namespace Kivi.Protocol;

/// <summary>
/// The answer of Kivi's audit endpoint (<see cref="Route"/>): a namespace's changes, or one key's, newest first, with
/// the token that made each. <see cref="Cursor"/> (a version) fetches the next, older page; empty at the end.
/// </summary>
public sealed record AuditAnswer(IReadOnlyList<AuditEvent> Changes, string Cursor)
{
    /// <summary>Under a namespace: <c>GET …/namespaces/{namespace_id}/audit?key&amp;since&amp;until&amp;limit&amp;cursor</c>.</summary>
    public const string Route = "/{namespace_id}/audit";

    public static string Path(string accountId, string namespaceId) =>
        $"client/v4/accounts/{Uri.EscapeDataString(accountId)}/storage/kv/namespaces/{Uri.EscapeDataString(namespaceId)}/audit";

    /// <summary>The most changes one page holds.</summary>
    public const int MaxLimit = 1000;
}

/// <summary>
/// One change: when (ISO 8601, UTC; null for changes logged before the audit existed), the key (null for a dropped
/// namespace), its kind (put, delete, expire, namespace_dropped), its version, and the token's id and name (null for
/// expiry, which no token makes).
/// </summary>
public sealed record AuditEvent(string? Time, string? Key, string Kind, long Version, string? TokenId, string? TokenName, long? Expiration = null);
