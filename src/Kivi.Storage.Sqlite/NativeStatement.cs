using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Kivi.Storage.Sqlite;

/// <summary>
/// A statement of the writer's hottest path, prepared once on its connection and bound by position
/// through SQLitePCL. Microsoft.Data.Sqlite resolves every parameter by name on every execution, which
/// costs more than SQLite's own work for a small put (measured in docs/benchmarks.md, bulk import).
/// Binding, stepping and resetting call the library directly (<see cref="Sqlite3"/>) with the handles' addresses:
/// SQLitePCL's calls take a SafeHandle each, whose reference counting cost as much as SQLite's own binding.
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement; // owns the statement; the addresses below are valid until Dispose
    private readonly nint _dbp, _stmt;
    private bool _disposed;

    public NativeStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        _dbp = _db.DangerousGetHandle();
        _stmt = _statement.DangerousGetHandle();
        int parameters = raw.sqlite3_bind_parameter_count(_statement) + 1; // numbered from 1
        _heldText = new object?[parameters];
        _heldInt = new long?[parameters];
    }

    private void Forget(int index)
    {
        _heldText[index] = null;
        _heldInt[index] = null;
    }

    public void Bind(int index, long value)
    {
        Forget(index);
        Check(Sqlite3.bind_int64(Live, index, value));
    }

    public void Bind(int index, long? value)
    {
        Forget(index);
        Check(value is { } v ? Sqlite3.bind_int64(Live, index, v) : Sqlite3.bind_null(Live, index));
    }

    public unsafe void Bind(int index, string? value)
    {
        Forget(index);
        if (value is null)
        {
            Check(Sqlite3.bind_null(Live, index));
            return;
        }
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length) + 1);
        try
        {
            int length = Encoding.UTF8.GetBytes(value, utf8);
            fixed (byte* text = utf8) Check(Sqlite3.bind_text(Live, index, text, length, Sqlite3.Transient)); // SQLite copies it
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    // What each parameter holds from the last sticky bind: SQLite keeps a statement's bindings across executions (a reset
    // does not clear them), so a value that repeats row after row (a namespace, an account, the author of a batch) is bound
    // once, not converted to UTF-8 and copied again for each row. Only the sticky binds read these; a plain Bind of the
    // same parameter forgets what it held.
    private readonly object?[] _heldText;
    private readonly long?[] _heldInt;
    private static readonly object Null = new();

    /// <summary>Binds text unless this parameter holds this very string from the last sticky bind (strings are immutable: same reference, same text).</summary>
    public void BindSticky(int index, string? value)
    {
        object held = value ?? Null;
        if (ReferenceEquals(_heldText[index], held)) return;
        Bind(index, value);
        _heldText[index] = held;
    }

    /// <summary>Binds an integer unless this parameter holds it from the last sticky bind.</summary>
    public void BindSticky(int index, long value)
    {
        if (_heldInt[index] == value) return;
        Bind(index, value);
        _heldInt[index] = value;
    }

    /// <summary>Binds a blob (SQLite copies it); an empty span binds a zero-length blob, never NULL.</summary>
    public unsafe void Bind(int index, ReadOnlySpan<byte> value)
    {
        Forget(index);
        if (value.IsEmpty)
        {
            Check(Sqlite3.bind_zeroblob(Live, index, 0));
            return;
        }
        fixed (byte* bytes = value) Check(Sqlite3.bind_blob(Live, index, bytes, value.Length, Sqlite3.Transient)); // SQLite copies it
    }

    /// <summary>Runs the statement to completion and returns the rows it changed.</summary>
    public int Execute()
    {
        int rc = Sqlite3.step(Live);
        _ = Sqlite3.reset(_stmt); // answers the step's error again: checked below from the step
        if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW)) Check(rc);
        return Sqlite3.changes(_dbp);
    }

    /// <summary>Runs the statement for its first row's first column: null when there is no row or the column is NULL.</summary>
    public long? ScalarInt64()
    {
        int rc = Sqlite3.step(Live);
        try
        {
            if (rc == raw.SQLITE_ROW) return Sqlite3.column_type(_stmt, 0) == raw.SQLITE_NULL ? null : Sqlite3.column_int64(_stmt, 0);
            if (rc != raw.SQLITE_DONE) Check(rc);
            return null;
        }
        finally
        {
            _ = Sqlite3.reset(_stmt); // answers the step's error again: checked above from the step
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc);
    }

    /// <summary>The statement's address, refused once disposed (the address would be freed memory).</summary>
    private nint Live => _disposed ? throw new ObjectDisposedException(nameof(NativeStatement)) : _stmt;

    public void Dispose()
    {
        _disposed = true;
        _statement.Dispose();
    }
}

/// <summary>
/// The few SQLite calls of the writer's hottest path, made directly on the library SQLitePCL loads (e_sqlite3) with raw
/// addresses. Calls that only copy a value or read one (binds, reset, changes, columns) skip the GC transition: they
/// neither block nor call back; a step may do I/O and keeps it.
/// </summary>
internal static unsafe partial class Sqlite3
{
    private const string Library = "e_sqlite3";

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bytes before the bind returns.</summary>
    public static readonly nint Transient = -1;

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64"), SuppressGCTransition]
    public static partial int bind_int64(nint statement, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_null"), SuppressGCTransition]
    public static partial int bind_null(nint statement, int index);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_zeroblob"), SuppressGCTransition]
    public static partial int bind_zeroblob(nint statement, int index, int length);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_blob"), SuppressGCTransition]
    public static partial int bind_blob(nint statement, int index, byte* value, int length, nint destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text"), SuppressGCTransition]
    public static partial int bind_text(nint statement, int index, byte* utf8, int length, nint destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    public static partial int step(nint statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset"), SuppressGCTransition]
    public static partial int reset(nint statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_changes"), SuppressGCTransition]
    public static partial int changes(nint db);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type"), SuppressGCTransition]
    public static partial int column_type(nint statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64"), SuppressGCTransition]
    public static partial long column_int64(nint statement, int column);
}
