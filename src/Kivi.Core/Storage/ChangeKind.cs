namespace Kivi.Core.Storage;

/// <summary>The kind of one change in the change log.</summary>
public enum ChangeKind
{
    Put = 1,
    Delete = 2,
    Expire = 3,
    NamespaceDropped = 4,
}
