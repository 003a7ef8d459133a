namespace Kivi.Core.Storage;

/// <summary>One page of an account's namespaces, with the account's total.</summary>
public sealed record NamespacePage(IReadOnlyList<KvNamespace> Items, int TotalCount);
