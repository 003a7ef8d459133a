using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.Data.Sqlite;

namespace Kivi.Storage.Sqlite;

public sealed partial class SqliteKvEngine
{
    public ValueTask<IReadOnlyList<UsageRecord>> ReadUsageAsync(string accountId, string? namespaceId, long sinceHour, long untilHour, CancellationToken cancellationToken) =>
        Query(SqliteSql.ReadUsage, r => new UsageRecord(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                r.GetInt64(6), r.GetInt64(7), NullableLong(r, 8), NullableLong(r, 9)),
            ("$a", accountId), ("$ns", (object?)namespaceId ?? DBNull.Value), ("$since", sinceHour), ("$until", untilHour));

    public ValueTask<IReadOnlyList<StorageUsage>> ReadStorageAsync(string accountId, CancellationToken cancellationToken) =>
        Query(SqliteSql.ReadStorage, r => new StorageUsage(r.GetString(0), r.GetInt64(1), r.GetInt64(2)), ("$a", accountId));

    public ValueTask<IReadOnlyList<AuditRecord>> ReadAuditAsync(AuditQuery query, CancellationToken cancellationToken) =>
        Query(SqliteSql.ReadAudit, r => new AuditRecord(r.GetInt64(0), query.NamespaceId, r.IsDBNull(1) ? null : r.GetFieldValue<byte[]>(1), (ChangeKind)r.GetInt32(2),
                NullableLong(r, 3), r.GetInt64(4), NullableString(r, 5), NullableString(r, 6)),
            ("$before", query.Before), ("$a", query.AccountId), ("$ns", query.NamespaceId), ("$key", (object?)query.Key ?? DBNull.Value),
            ("$since", query.Since), ("$until", query.Until), ("$limit", query.Limit));

    public Task PingAsync(CancellationToken cancellationToken)
    {
        if (_damage is { } damage) throw Kivi.Protocol.KvErrors.StoreDamaged(_options.DatabasePath, damage);
        return Query(SqliteSql.ReadSchemaVersion, r => r.GetInt64(0)).AsTask();
    }

    /// <summary>A query of the operator's pages (usage, audit) on a pooled reader: not the hot path, so not prepared.</summary>
    private ValueTask<IReadOnlyList<T>> Query<T>(string sql, Func<SqliteDataReader, T> row, params (string Name, object Value)[] parameters)
    {
        var session = _readers.Rent();
        try
        {
            using var cmd = Command(session.Connection, sql);
            foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
            var rows = new List<T>();
            using var r = cmd.ExecuteReader();
            while (r.Read()) rows.Add(row(r));
            return ValueTask.FromResult<IReadOnlyList<T>>(rows);
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
}
