using Kivi.Core.Storage;

namespace Kivi.Core.Access;

/// <summary>
/// Who is calling and what they may reach: every access rule is here, once. The root caller (the
/// admin token) reaches every account; a scoped token reaches only its account, and within it only
/// its namespaces when it lists them.
/// </summary>
public sealed class Caller
{
    private readonly HashSet<string>? _namespaces;

    private Caller(string tokenId, string? accountId, TokenPermission permission, IReadOnlyList<string>? namespaces)
    {
        TokenId = tokenId;
        AccountId = accountId;
        Permission = permission;
        _namespaces = namespaces is null ? null : new HashSet<string>(namespaces, StringComparer.Ordinal);
    }

    /// <summary>The admin token: every account, every permission.</summary>
    public static Caller Root { get; } = new("admin", null, TokenPermission.AccountAdmin, null);

    public static Caller For(KvToken token) => new(token.Id, token.AccountId, token.Permission, token.Namespaces);

    public string TokenId { get; }
    public string? AccountId { get; }
    public TokenPermission Permission { get; }
    public bool IsRoot => AccountId is null;

    /// <summary>The namespaces a scoped token is limited to; null for all of its account.</summary>
    public IReadOnlyCollection<string>? Namespaces => _namespaces;

    public bool CanSeeAccount(string accountId) => IsRoot || AccountId == accountId;

    /// <summary>Create accounts: only the root caller.</summary>
    public bool CanCreateAccounts => IsRoot;

    public bool CanManageAccount(string accountId) => CanSeeAccount(accountId) && Permission == TokenPermission.AccountAdmin;

    /// <summary>Whether the namespace is among those a token reaches (not whether it may read or write it).</summary>
    public bool Reaches(KvNamespace ns) =>
        IsRoot || (ns.AccountId == AccountId && (_namespaces is null || _namespaces.Contains(ns.Id)));

    /// <summary>Replication tokens read too: an edge fills its cache with them, and the feed carries the values anyway.</summary>
    public bool CanRead(KvNamespace ns) => Reaches(ns);

    public bool CanWrite(KvNamespace ns) => Reaches(ns) && Permission is TokenPermission.ReadWrite or TokenPermission.AccountAdmin;

    /// <summary>Read the change feed of an account (edges); the root caller reads every account's.</summary>
    public bool CanReplicate(string accountId) => CanSeeAccount(accountId) && Permission is TokenPermission.Replication or TokenPermission.AccountAdmin;
}
