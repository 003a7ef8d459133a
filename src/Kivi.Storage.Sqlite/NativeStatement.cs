using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kivi.Storage.Sqlite;

/// <summary>
/// A statement of the writer's hottest path, prepared once on its connection and bound by position
/// through SQLitePCL. Microsoft.Data.Sqlite resolves every parameter by name on every execution, which
/// costs more than SQLite's own work for a small put (measured in docs/benchmarks.md, bulk import).
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public NativeStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void Bind(int index, long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));

    public void Bind(int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text(_statement, index, value));

    /// <summary>Binds a blob (SQLite copies it); an empty span binds a zero-length blob, never NULL.</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(_statement, index, 0) : raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Runs the statement to completion and returns the rows it changed.</summary>
    public int Execute()
    {
        int rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW)) Check(rc);
        return raw.sqlite3_changes(_db);
    }

    /// <summary>Runs the statement for its first row's first column: null when there is no row or the column is NULL.</summary>
    public long? ScalarInt64()
    {
        int rc = raw.sqlite3_step(_statement);
        try
        {
            if (rc == raw.SQLITE_ROW) return raw.sqlite3_column_type(_statement, 0) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(_statement, 0);
            if (rc != raw.SQLITE_DONE) Check(rc);
            return null;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc);
    }

    public void Dispose() => _statement.Dispose();
}
