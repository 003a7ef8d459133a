namespace Kivi.Core.Storage;

/// <summary>
/// The catalog's rules, as pure functions every engine calls with the facts it read in its own transaction:
/// which outcome a namespace or token change has, and the order namespaces list in. Written once, so the
/// engines cannot drift apart (the conformance suite checks both against them).
/// </summary>
public static class CatalogRules
{
    /// <summary>A namespace may be created unless the account is full, the title is taken, or the id is (checked in that order).</summary>
    public static WriteStatus Create(int namespacesInAccount, int maxPerAccount, bool titleTaken, bool idTaken) =>
        namespacesInAccount >= maxPerAccount ? WriteStatus.NamespaceLimitReached
        : titleTaken ? WriteStatus.TitleExists
        : idTaken ? WriteStatus.NamespaceIdExists
        : WriteStatus.Ok;

    /// <summary>A namespace may be renamed if it exists in the account and no other namespace of it has the title.</summary>
    public static WriteStatus Rename(bool found, bool titleTaken) =>
        !found ? WriteStatus.NamespaceNotFound : titleTaken ? WriteStatus.TitleExists : WriteStatus.Ok;

    /// <summary>A namespace may be dropped if it exists in the account.</summary>
    public static WriteStatus Drop(bool found) => found ? WriteStatus.Ok : WriteStatus.NamespaceNotFound;

    /// <summary>A token may be rolled or revoked if it exists in the account.</summary>
    public static WriteStatus ChangeToken(bool found) => found ? WriteStatus.Ok : WriteStatus.TokenNotFound;

    /// <summary>Whether another namespace of the account (not <paramref name="namespaceId"/>) has <paramref name="title"/>.</summary>
    public static bool TitleTaken(IEnumerable<KvNamespace> namespaces, string accountId, string title, string namespaceId) =>
        namespaces.Any(n => n.AccountId == accountId && n.Title == title && n.Id != namespaceId);

    /// <summary>
    /// A page of an account's namespaces: by title or id in ordinal order (never the database's collation), ties
    /// by id, ascending or descending; <see cref="NamespacePage"/> counts them all.
    /// </summary>
    public static NamespacePage Page(IReadOnlyCollection<KvNamespace> accountNamespaces, NamespaceOrder order, bool descending, int skip, int take)
    {
        Func<KvNamespace, string> by = order == NamespaceOrder.Title ? n => n.Title : n => n.Id;
        var sorted = descending
            ? accountNamespaces.OrderByDescending(by, StringComparer.Ordinal).ThenByDescending(n => n.Id, StringComparer.Ordinal)
            : accountNamespaces.OrderBy(by, StringComparer.Ordinal).ThenBy(n => n.Id, StringComparer.Ordinal);
        return new NamespacePage(sorted.Skip(skip).Take(take).ToArray(), accountNamespaces.Count);
    }
}
