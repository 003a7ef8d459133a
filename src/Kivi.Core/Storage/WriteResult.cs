namespace Kivi.Core.Storage;

/// <summary>
/// What a write did: its status, how many entries it changed, the version of its last change
/// (the store's head when it changed nothing), and the namespace it created or renamed.
/// </summary>
public sealed record WriteResult(WriteStatus Status, int Changed, long Version, KvNamespace? Namespace = null, Access.KvToken? Token = null)
{
    public static WriteResult Failed(WriteStatus status, long head) => new(status, 0, head);
}
