namespace Kivi.Storage.Sqlite;

/// <summary>How thoroughly a store is checked before it is opened.</summary>
public enum IntegrityCheck
{
    /// <summary>No check (a damaged file is still refused when SQLite finds the damage).</summary>
    Off,
    /// <summary>SQLite's quick_check: every page and b-tree is read, indexes are not matched against tables (seconds per GB).</summary>
    Quick,
    /// <summary>SQLite's integrity_check: also every index entry against its row (slower; what <c>kivi check</c> runs).</summary>
    Full,
}
