using Kivi.Core.Storage;
using Kivi.Protocol;
using Npgsql;

namespace Kivi.Storage.Postgres;

public sealed partial class PostgresKvEngine
{
    public ValueTask<IReadOnlyList<UsageRecord>> ReadUsageAsync(string accountId, string? namespaceId, long sinceHour, long untilHour, CancellationToken cancellationToken) =>
        RowsAsync(PostgresSql.ReadUsage, r => new UsageRecord(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                r.GetInt64(6), r.GetInt64(7), NullableLong(r, 8), NullableLong(r, 9)),
            cancellationToken, accountId, (object?)namespaceId ?? DBNull.Value, sinceHour, untilHour);

    public ValueTask<IReadOnlyList<StorageUsage>> ReadStorageAsync(string accountId, CancellationToken cancellationToken) =>
        RowsAsync(PostgresSql.ReadStorage, r => new StorageUsage(r.GetString(0), r.GetInt64(1), r.GetInt64(2)), cancellationToken, accountId);

    public ValueTask<IReadOnlyList<AuditRecord>> ReadAuditAsync(AuditQuery query, CancellationToken cancellationToken) =>
        RowsAsync(PostgresSql.ReadAudit, r => new AuditRecord(r.GetInt64(0), query.NamespaceId, r.IsDBNull(1) ? null : r.GetFieldValue<byte[]>(1), (ChangeKind)r.GetInt16(2),
                NullableLong(r, 3), r.GetInt64(4), NullableString(r, 5), NullableString(r, 6)),
            cancellationToken, query.Before, query.AccountId, query.NamespaceId, (object?)query.Key ?? DBNull.Value, query.Since, query.Until, query.Limit);

    public Task PingAsync(CancellationToken cancellationToken) => RowsAsync(PostgresSql.SnapshotHead, r => r.GetInt64(0), cancellationToken).AsTask();

    private ValueTask<IReadOnlyList<T>> RowsAsync<T>(string sql, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken, params object[] values) =>
        QueryAsync<IReadOnlyList<T>>(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            foreach (var value in values) cmd.Parameters.Add(new NpgsqlParameter { Value = value });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var rows = new List<T>();
            while (await r.ReadAsync(ct)) rows.Add(row(r));
            return rows;
        }, cancellationToken);
}
