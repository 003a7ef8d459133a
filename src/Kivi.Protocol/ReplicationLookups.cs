namespace Kivi.Protocol;

/// <summary>
/// What an edge asks its upstream besides data, with a replication (or admin) token, and the answers (each the
/// <c>result</c> of an envelope; a 404 means not found or not visible to that token).
/// </summary>
public static class ReplicationLookups
{
    /// <summary>Who a token is, by the SHA-256 of its value (64 lowercase hex digits).</summary>
    public static string TokenPath(ReadOnlySpan<byte> hash) => $"client/v4/kivi/tokens/{Convert.ToHexStringLower(hash)}";

    /// <summary>Where a namespace lives, by its id alone.</summary>
    public static string NamespacePath(string namespaceId) => $"client/v4/kivi/namespaces/{Uri.EscapeDataString(namespaceId)}";

    /// <summary>Whether an account exists.</summary>
    public static string AccountPath(string accountId) => $"client/v4/kivi/accounts/{Uri.EscapeDataString(accountId)}";

    /// <summary>The route templates the server maps, relative to <c>/client/v4</c>.</summary>
    public const string TokenRoute = "/kivi/tokens/{hash}", NamespaceRoute = "/kivi/namespaces/{namespace_id}", AccountRoute = "/kivi/accounts/{account_id}";
}

/// <summary>A token as an edge learns it: the admin token (<see cref="Root"/>), or a scoped token's id, account, permission, namespaces and name.</summary>
public sealed record TokenLookup(bool Root, string Id, string? AccountId, string Permission, IReadOnlyList<string>? Namespaces, string? Name = null);

/// <summary>A namespace as an edge learns it.</summary>
public sealed record NamespaceLookup(string Id, string Title, string AccountId, string? Jurisdiction);

/// <summary>An account that exists.</summary>
public sealed record AccountLookup(string Id);
