using Kivi.Core.Storage;

namespace Kivi.Core;

/// <summary>One page of a key listing; <see cref="Cursor"/> is null on the last page.</summary>
public sealed record KeyPage(IReadOnlyList<EntryInfo> Keys, string? Cursor)
{
    public bool ListComplete => Cursor is null;
}
