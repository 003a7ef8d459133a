using Kivi.Protocol;
using Kivi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Kivi.Storage.Sqlite;

public sealed partial class SqliteKvEngine
{
    // The position each answer reflects is the head before the read (KvRead.At evaluates it first).
    public ValueTask<KvRead<StoredValue?>> GetAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken) =>
        KvRead.At(HeadVersion, ReadValueAsync(ns, key, options.Now, cancellationToken));

    public ValueTask<KvRead<EntryInfo?>> GetInfoAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken) =>
        KvRead.At(HeadVersion, ReadInfoAsync(ns, key, options.Now, cancellationToken));

    public ValueTask<KvRead<IReadOnlyList<EntryInfo>>> ListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, ReadOptions options, CancellationToken cancellationToken) =>
        KvRead.At(HeadVersion, ReadListAsync(ns, prefix, startAfter, limit, options.Now, cancellationToken));

    private ValueTask<StoredValue?> ReadValueAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken)
    {
        var session = _readers.Rent();
        bool returned = false;
        try
        {
            var cmd = session.Get;
            cmd.Parameters[0].Value = ns.Handle;
            cmd.Parameters[1].Value = key;
            cmd.Parameters[2].Value = now;
            cmd.Parameters[3].Value = _options.InlineValueBytes;
            long rowId;
            using (var r = cmd.ExecuteReader())
            {
                if (!r.Read()) return ValueTask.FromResult<StoredValue?>(null);
                if (!r.IsDBNull(5))
                    return ValueTask.FromResult<StoredValue?>(new StoredValue(r.GetFieldValue<byte[]>(5), NullableString(r, 1), NullableLong(r, 2), r.GetInt64(3)));
                rowId = r.GetInt64(0);
            }
            var value = OpenLargeValue(session, cmd, rowId);
            returned = true; // the lease owns the session now, or it was returned
            return ValueTask.FromResult(value);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw Damaged(e);
        }
        finally
        {
            if (!returned) _readers.Return(session);
        }
    }

    /// <summary>Re-reads the row inside a read transaction so the blob stream sees one snapshot until disposed.</summary>
    private StoredValue? OpenLargeValue(ReaderSession session, SqliteCommand get, long rowId)
    {
        session.Begin.ExecuteNonQuery();
        var lease = new BlobLease(_readers, session);
        try
        {
            using var r = get.ExecuteReader();
            if (!r.Read())
            {
                lease.Release();
                return null;
            }
            rowId = r.GetInt64(0);
            var blob = new SqliteBlob(session.Connection, "entries", "value", rowId, readOnly: true);
            return new StoredValue(blob, r.GetInt64(4), lease, NullableString(r, 1), NullableLong(r, 2), r.GetInt64(3));
        }
        catch
        {
            lease.Release();
            throw;
        }
    }

    private ValueTask<EntryInfo?> ReadInfoAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken)
    {
        var session = _readers.Rent();
        try
        {
            var cmd = session.GetInfo;
            cmd.Parameters[0].Value = ns.Handle;
            cmd.Parameters[1].Value = key;
            cmd.Parameters[2].Value = now;
            using var r = cmd.ExecuteReader();
            return ValueTask.FromResult(r.Read() ? new EntryInfo(key, NullableString(r, 0), NullableLong(r, 1), r.GetInt64(2)) : null);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw Damaged(e);
        }
        finally
        {
            _readers.Return(session);
        }
    }

    private ValueTask<IReadOnlyList<EntryInfo>> ReadListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, long now, CancellationToken cancellationToken)
    {
        var session = _readers.Rent();
        try
        {
            var range = KeyRange.ForList(prefix, startAfter);
            var cmd = session.Lists[(range.LowerExclusive ? 2 : 0) + (range.Upper is null ? 0 : 1)];
            cmd.Parameters[0].Value = ns.Handle;
            cmd.Parameters[1].Value = range.Lower;
            cmd.Parameters[2].Value = now;
            cmd.Parameters[3].Value = limit;
            if (range.Upper is { } upper) cmd.Parameters[4].Value = upper;
            var rows = new List<EntryInfo>(Math.Min(limit, 1024));
            using var r = cmd.ExecuteReader();
            while (r.Read()) rows.Add(new EntryInfo(r.GetFieldValue<byte[]>(0), NullableString(r, 1), NullableLong(r, 2), r.GetInt64(3)));
            return ValueTask.FromResult<IReadOnlyList<EntryInfo>>(rows);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw Damaged(e);
        }
        finally
        {
            _readers.Return(session);
        }
    }

    public ValueTask<IKvSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IKvSnapshot>(SqliteSnapshot.Open(_connectionString));

    public ValueTask<IReadOnlyList<ChangeRecord>> ReadChangesAsync(long afterVersion, int limit, CancellationToken cancellationToken)
    {
        var session = _readers.Rent();
        try
        {
            var cmd = session.ReadChanges;
            cmd.Parameters[0].Value = afterVersion;
            cmd.Parameters[1].Value = limit;
            var rows = new List<ChangeRecord>();
            using var r = cmd.ExecuteReader();
            while (r.Read())
                rows.Add(new ChangeRecord(r.GetInt64(0), r.GetString(5), r.GetString(1), r.IsDBNull(2) ? null : r.GetFieldValue<byte[]>(2), (ChangeKind)r.GetInt32(3), NullableLong(r, 4)));
            return ValueTask.FromResult<IReadOnlyList<ChangeRecord>>(rows);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw Damaged(e);
        }
        finally
        {
            _readers.Return(session);
        }
    }

    public ValueTask<long> OldestChangeAsync(CancellationToken cancellationToken)
    {
        var session = _readers.Rent();
        try
        {
            using var cmd = Command(session.Connection, SqliteSql.OldestChange);
            var oldest = cmd.ExecuteScalar();
            return ValueTask.FromResult(oldest is long v ? v : HeadVersion + 1);
        }
        finally
        {
            _readers.Return(session);
        }
    }

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static long? NullableLong(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
