namespace Kivi.Protocol;

/// <summary>
/// What happened, the one enum for it: a row of a store's change log, a line of the change feed, a change an
/// SDK watch reports. The numbers are stored (change logs) and never change meaning.
/// </summary>
public enum ChangeKind
{
    Put = 1,
    Delete = 2,
    Expire = 3,

    /// <summary>The namespace was deleted with everything in it; a watch of it ends after this.</summary>
    NamespaceDropped = 4,

    /// <summary>
    /// Never in a change log: the reader missed changes (the log no longer reaches back to it, or the store
    /// was replaced), so it must drop what it holds and re-read what matters.
    /// </summary>
    Reset = 5,
}
