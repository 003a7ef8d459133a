namespace Kivi.Core.Storage;

/// <summary>
/// Who made a change and when (Unix milliseconds): the change log keeps it for the audit, and the usage of the write is
/// counted in the hour of <see cref="At"/>. A token's id and name only, never its value.
/// </summary>
public sealed record ChangeAuthor(string TokenId, string TokenName, long At);
