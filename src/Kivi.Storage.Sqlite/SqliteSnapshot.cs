using System.Runtime.CompilerServices;
using Kivi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Kivi.Storage.Sqlite;

/// <summary>
/// A read transaction on a connection of its own: under WAL it sees the database as of its first read
/// while the writer carries on. The WAL cannot be checkpointed past it until it is disposed.
/// </summary>
internal sealed class SqliteSnapshot : IKvSnapshot
{
    private readonly SqliteConnection _connection;

    private SqliteSnapshot(SqliteConnection connection, long version)
    {
        _connection = connection;
        Version = version;
    }

    public long Version { get; }

    public static SqliteSnapshot Open(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            SqliteKvEngine.Exec(connection, "PRAGMA query_only = 1; PRAGMA busy_timeout = 10000;");
            SqliteKvEngine.Exec(connection, SqliteSql.Begin);
            long version = (long)SqliteKvEngine.Scalar(connection, SqliteSql.ReadHead)!; // the first read fixes the snapshot
            return new SqliteSnapshot(connection, version);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public ValueTask<IReadOnlyList<StoredAccount>> ListAccountsAsync(CancellationToken cancellationToken)
    {
        using var cmd = SqliteKvEngine.Command(_connection, SqliteSql.SnapshotAccounts);
        using var r = cmd.ExecuteReader();
        var accounts = new List<StoredAccount>();
        while (r.Read()) accounts.Add(new StoredAccount(r.GetString(0), r.GetString(1)));
        return ValueTask.FromResult<IReadOnlyList<StoredAccount>>(accounts);
    }

    public ValueTask<IReadOnlyList<KvNamespace>> ListNamespacesAsync(string accountId, CancellationToken cancellationToken)
    {
        using var cmd = SqliteKvEngine.Command(_connection, SqliteSql.SnapshotNamespaces);
        cmd.Parameters.AddWithValue("$a", accountId);
        using var r = cmd.ExecuteReader();
        var namespaces = new List<KvNamespace>();
        while (r.Read()) namespaces.Add(new KvNamespace(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4)));
        return ValueTask.FromResult<IReadOnlyList<KvNamespace>>(namespaces);
    }

    public async IAsyncEnumerable<StoredEntry> ReadEntriesAsync(KvNamespace ns, byte[]? startAfter, long now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cmd = SqliteKvEngine.Command(_connection, SqliteSql.SnapshotEntries);
        cmd.Parameters.AddWithValue("$ns", ns.Handle);
        cmd.Parameters.AddWithValue("$after", (object?)startAfter ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$now", now);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new StoredEntry(r.GetFieldValue<byte[]>(0), r.GetFieldValue<byte[]>(1),
                r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetInt64(4));
        }
        await Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose(); // ends the read transaction
        return ValueTask.CompletedTask;
    }
}
