using System.Runtime.CompilerServices;
using Kivi.Core.Storage;
using Npgsql;

namespace Kivi.Storage.Postgres;

/// <summary>
/// A read-only REPEATABLE READ transaction on a connection of its own: every query sees the database as of
/// its first, while writers carry on. Vacuum cannot reclaim rows it may still see until it is disposed.
/// </summary>
internal sealed class PostgresSnapshot : IKvSnapshot
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private PostgresSnapshot(NpgsqlConnection connection, NpgsqlTransaction transaction, long version)
    {
        _connection = connection;
        _transaction = transaction;
        Version = version;
    }

    public long Version { get; }

    public static async Task<IKvSnapshot> OpenAsync(NpgsqlDataSource data, CancellationToken cancellationToken)
    {
        var connection = await data.OpenConnectionAsync(cancellationToken);
        try
        {
            var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY;", connection, tx)) await readOnly.ExecuteNonQueryAsync(cancellationToken);
            await using var head = new NpgsqlCommand(PostgresSql.SnapshotHead, connection, tx); // the first read fixes the snapshot
            long version = (long)(await head.ExecuteScalarAsync(cancellationToken))!;
            return new PostgresSnapshot(connection, tx, version);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IReadOnlyList<StoredAccount>> ListAccountsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(PostgresSql.SnapshotAccounts, _connection, _transaction);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var accounts = new List<StoredAccount>();
        while (await r.ReadAsync(cancellationToken)) accounts.Add(new StoredAccount(r.GetString(0), r.GetString(1)));
        return accounts;
    }

    public async ValueTask<IReadOnlyList<KvNamespace>> ListNamespacesAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(PostgresSql.SnapshotNamespaces, _connection, _transaction) { Parameters = { new() { Value = accountId } } };
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var namespaces = new List<KvNamespace>();
        while (await r.ReadAsync(cancellationToken)) namespaces.Add(Catalog.ReadNamespace(r));
        // Ordinal order, as the SQLite engine gives, whatever the database's collation.
        return namespaces.OrderBy(n => n.Id, StringComparer.Ordinal).ToArray();
    }

    public async IAsyncEnumerable<StoredEntry> ReadEntriesAsync(KvNamespace ns, byte[]? startAfter, long now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(PostgresSql.SnapshotEntries, _connection, _transaction)
        {
            // Keys are never empty, so "after the empty string" is every key.
            Parameters = { new() { Value = ns.Handle }, new() { Value = startAfter ?? [] }, new() { Value = now } },
        };
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            yield return new StoredEntry(r.GetFieldValue<byte[]>(0), r.GetFieldValue<byte[]>(1),
                PostgresKvEngine.NullableString(r, 2), PostgresKvEngine.NullableLong(r, 3), r.GetInt64(4));
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync(); // rolls back: it changed nothing
        await _connection.DisposeAsync();
    }
}
