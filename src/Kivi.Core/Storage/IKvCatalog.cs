namespace Kivi.Core.Storage;

/// <summary>The catalog a store keeps beside its entries: accounts, namespaces page by page, scoped tokens.</summary>
public interface IKvCatalog
{
    ValueTask<IReadOnlyList<string>> ListAccountsAsync(CancellationToken cancellationToken);

    /// <summary>The scoped token whose value hashes to <paramref name="hash"/> (SHA-256), if any.</summary>
    ValueTask<Access.KvToken?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Access.KvToken>> ListTokensAsync(string accountId, CancellationToken cancellationToken);

    ValueTask<NamespacePage> ListNamespacesAsync(string accountId, NamespaceOrder order, bool descending, int skip, int take, CancellationToken cancellationToken);
}
