namespace Kivi.Core.Storage;

/// <summary>
/// What an engine does with each write command. Every engine implements it, so a new command is a compile error
/// in every engine until it is handled, never a runtime throw.
/// </summary>
public interface IWriteCommandVisitor<out T>
{
    T Visit(PutEntries command);
    T Visit(DeleteEntries command);
    T Visit(CreateNamespace command);
    T Visit(RenameNamespace command);
    T Visit(DeleteNamespace command);
    T Visit(EnsureAccount command);
    T Visit(CreateToken command);
    T Visit(RollToken command);
    T Visit(RevokeToken command);
    T Visit(PurgeExpired command);
    T Visit(TrimChanges command);
    T Visit(RecordUsage command);
}
