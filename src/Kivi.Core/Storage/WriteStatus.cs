namespace Kivi.Core.Storage;

/// <summary>The expected outcomes of a write; faults are exceptions.</summary>
public enum WriteStatus
{
    Ok,
    NamespaceNotFound,
    TitleExists,
    NamespaceLimitReached,
    TokenNotFound,
    PreconditionFailed,
    NamespaceIdExists,
}
