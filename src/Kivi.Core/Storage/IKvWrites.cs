namespace Kivi.Core.Storage;

/// <summary>
/// Writing: every change is a <see cref="WriteCommand"/> committed atomically, in commit order with every other.
/// <para>
/// <b>Versions.</b> Every change gets the next version of the whole store. A command that changes several entries
/// (a bulk put, a bulk delete) gives them <em>consecutive</em> versions, in the order the command lists them, and
/// <see cref="WriteResult.Version"/> is the last: a put of n entries numbered v−n+1 … v, a delete of n existing keys
/// likewise, keys that did not exist getting none. Callers rely on this (a single node's cache installs each entry at
/// its own version); the conformance suite checks it.
/// </para>
/// </summary>
public interface IKvWrites
{
    /// <summary>Commits a change durably (fsync) before completing; not cancellable once submitted.</summary>
    Task<WriteResult> WriteAsync(WriteCommand command);
}
