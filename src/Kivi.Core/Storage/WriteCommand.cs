namespace Kivi.Core.Storage;

/// <summary>A validated change for the engine to commit atomically, in commit order with every other.</summary>
public abstract record WriteCommand
{
    /// <summary>Calls the <paramref name="visitor"/>'s method for this command.</summary>
    public abstract T Accept<T>(IWriteCommandVisitor<T> visitor);
}

/// <summary>
/// Puts one or more entries into a namespace, all or none; a single put may carry a <see cref="Precondition"/>. With an
/// <see cref="Author"/>, the change log records who made it and each entry counts one write in the namespace's usage.
/// </summary>
public sealed record PutEntries(KvNamespace Namespace, IReadOnlyList<EntryWrite> Entries, Precondition? Condition = null, ChangeAuthor? Author = null) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>
/// Deletes keys from a namespace; keys that do not exist are skipped (no change, no version) but, with an
/// <see cref="Author"/>, each key named counts one delete in the namespace's usage, as Workers KV bills it. A single
/// delete may carry a <see cref="Precondition"/> (If-Match: the version the entry must have), checked in its transaction.
/// </summary>
public sealed record DeleteEntries(KvNamespace Namespace, IReadOnlyList<byte[]> Keys, ChangeAuthor? Author = null, Precondition? Condition = null) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Creates a namespace unless the title is taken or the account is full.</summary>
public sealed record CreateNamespace(string AccountId, string NamespaceId, string Title, int MaxPerAccount, string? Jurisdiction = null) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Renames a namespace unless the new title is taken.</summary>
public sealed record RenameNamespace(string AccountId, string NamespaceId, string Title) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Drops a namespace and every entry in it.</summary>
public sealed record DeleteNamespace(string AccountId, string NamespaceId, ChangeAuthor? Author = null) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Creates an account if it does not exist.</summary>
public sealed record EnsureAccount(string AccountId, string Name) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Stores a new scoped token (its hash only).</summary>
public sealed record CreateToken(Access.KvToken Token) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Replaces a token's hash: the old value stops working at once.</summary>
public sealed record RollToken(string AccountId, string TokenId, byte[] Hash) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Deletes a token.</summary>
public sealed record RevokeToken(string AccountId, string TokenId) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>
/// Adds read and list counts to the usage table. A report from another node (<see cref="UsageReport.Reporter"/> set) is
/// applied at most once: one whose sequence is not above the last applied from that reporter changes nothing and
/// succeeds, so a reporter that never heard the answer sends it again safely.
/// </summary>
public sealed record RecordUsage(Kivi.Protocol.UsageReport Report) : WriteCommand
{
    public override T Accept<T>(IWriteCommandVisitor<T> visitor) => visitor.Visit(this);
}
