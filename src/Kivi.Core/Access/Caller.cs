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

    private Caller(string tokenId, string tokenName, string? accountId, TokenPermission permission, IReadOnlyList<string>? namespaces)
    {
        TokenId = tokenId;
        TokenName = tokenName;
        AccountId = accountId;
        Permission = permission;
        _namespaces = namespaces is null ? null : new HashSet<string>(namespaces, StringComparer.Ordinal);
    }

    /// <summary>The admin token: every account, every permission.</summary>
    public static Caller Root { get; } = new("admin", "admin token", null, TokenPermission.AccountAdmin, null);

    public static Caller For(KvToken token) => new(token.Id, token.Name, token.AccountId, token.Permission, token.Namespaces);

    public string TokenId { get; }

    /// <summary>The token's name, recorded with every change it makes (its value never is).</summary>
    public string TokenName { get; }

    /// <summary>Who makes a change made now by this caller, for the change log's audit.</summary>
    public ChangeAuthor Author(long atMilliseconds) => new(TokenId, TokenName, atMilliseconds);
    public string? AccountId { get; }
    public TokenPermission Permission { get; }
    public bool IsRoot => AccountId is null;

    /// <summary>The namespaces a scoped token is limited to; null for all of its account.</summary>
    public IReadOnlyCollection<string>? Namespaces => _namespaces;

    public bool CanSeeAccount(string accountId) => IsRoot || AccountId == accountId;

    /// <summary>Create accounts: only the root caller.</summary>
    public bool CanCreateAccounts => IsRoot;

    /// <summary>
    /// Act on the account as a whole (create namespaces, tokens for every namespace): an admin whose token
    /// lists no namespaces. A scoped admin cannot name a namespace that does not exist yet, so it creates none.
    /// </summary>
    public bool CanManageAccount(string accountId) => IsAdminOf(accountId) && _namespaces is null;

    /// <summary>Rename or delete a namespace: an admin that reaches it.</summary>
    public bool CanManageNamespace(KvNamespace ns) => Permission == TokenPermission.AccountAdmin && Reaches(ns);

    /// <summary>An admin of the account, scoped or not: manages tokens (which ones is <see cref="Covers"/>) and the namespaces it reaches.</summary>
    public bool IsAdminOf(string accountId) => CanSeeAccount(accountId) && Permission == TokenPermission.AccountAdmin;

    /// <summary>
    /// Whether a token of <paramref name="accountId"/> reaching <paramref name="namespaces"/> (null: all of
    /// them) is no broader than this admin: only such tokens can it create, see, roll or revoke.
    /// </summary>
    public bool Covers(string accountId, IReadOnlyCollection<string>? namespaces) =>
        IsAdminOf(accountId) && (_namespaces is null || (namespaces is not null && namespaces.All(_namespaces.Contains)));

    /// <summary>Whether the namespace is among those a token reaches (not whether it may read or write it).</summary>
    public bool Reaches(KvNamespace ns) => Reaches(ns.AccountId, ns.Id);

    /// <summary>Whether namespace <paramref name="namespaceId"/> of <paramref name="accountId"/> is among those a token reaches.</summary>
    public bool Reaches(string accountId, string namespaceId) =>
        IsRoot || (accountId == AccountId && (_namespaces is null || _namespaces.Contains(namespaceId)));

    /// <summary>Replication tokens read too: an edge fills its cache with them, and the feed carries the values anyway.</summary>
    public bool CanRead(KvNamespace ns) => Reaches(ns) && Permission != TokenPermission.Metrics;

    /// <summary>Scrape <c>/metrics</c>: the admin token, or a metrics token (which reads no data).</summary>
    public bool CanScrapeMetrics => IsRoot || Permission == TokenPermission.Metrics;

    public bool CanWrite(KvNamespace ns) => Reaches(ns) && Permission is TokenPermission.ReadWrite or TokenPermission.AccountAdmin;

    /// <summary>
    /// Read the change feed of an account (edges); the root caller reads every account's. A token that
    /// lists namespaces is shown only their changes (<see cref="Reaches(string, string)"/>).
    /// </summary>
    public bool CanReplicate(string accountId) => CanSeeAccount(accountId) && Permission is TokenPermission.Replication or TokenPermission.AccountAdmin;
}
