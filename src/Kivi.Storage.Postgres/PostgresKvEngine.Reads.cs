using Kivi.Protocol;
using System.Data;
using Kivi.Core.Storage;
using Npgsql;

namespace Kivi.Storage.Postgres;

public sealed partial class PostgresKvEngine
{
    // The position each answer reflects is the head before the read (KvRead.At evaluates it first).
    public ValueTask<KvRead<StoredValue?>> GetAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken) =>
        KvRead.At(HeadVersion, ReadValueAsync(ns, key, options.Now, cancellationToken));

    public ValueTask<KvRead<EntryInfo?>> GetInfoAsync(KvNamespace ns, byte[] key, ReadOptions options, CancellationToken cancellationToken) =>
        KvRead.At(HeadVersion, ReadInfoAsync(ns, key, options.Now, cancellationToken));

    public ValueTask<KvRead<IReadOnlyList<EntryInfo>>> ListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, ReadOptions options, CancellationToken cancellationToken) =>
        KvRead.At(HeadVersion, ReadListAsync(ns, prefix, startAfter, limit, options.Now, cancellationToken));

    /// <summary>
    /// One round trip. A value up to <see cref="PostgresKvOptions.InlineValueBytes"/> is read into memory; a
    /// larger one is streamed off the connection, which the returned value holds until it is disposed.
    /// </summary>
    private ValueTask<StoredValue?> ReadValueAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken) =>
        RetryReadAsync(() => GetOnceAsync(ns, key, now, cancellationToken), cancellationToken);

    private async Task<StoredValue?> GetOnceAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        NpgsqlCommand? cmd = null;
        NpgsqlDataReader? r = null;
        bool handedOver = false;
        try
        {
            connection = await _data.OpenConnectionAsync(cancellationToken);
            cmd = new NpgsqlCommand(PostgresSql.Get, connection) { Parameters = { new() { Value = ns.Handle }, new() { Value = key }, new() { Value = now } } };
            r = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, cancellationToken);
            if (!await r.ReadAsync(cancellationToken)) return null;
            string? metadata = await r.IsDBNullAsync(0, cancellationToken) ? null : r.GetString(0);
            long? expiration = await r.IsDBNullAsync(1, cancellationToken) ? null : r.GetInt64(1);
            long version = r.GetInt64(2);
            long length = r.GetInt32(3);
            if (length <= _options.InlineValueBytes)
                return new StoredValue(await r.GetFieldValueAsync<byte[]>(4, cancellationToken), metadata, expiration, version);
            var stream = await r.GetStreamAsync(4, cancellationToken);
            handedOver = true;
            return new StoredValue(stream, length, new ReadLease(connection, cmd, r), metadata, expiration, version);
        }
        finally
        {
            if (!handedOver)
            {
                if (r is not null) await r.DisposeAsync();
                if (cmd is not null) await cmd.DisposeAsync();
                if (connection is not null) await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Keeps a streamed value's connection until the value is disposed.</summary>
    private sealed class ReadLease(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync();
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private ValueTask<EntryInfo?> ReadInfoAsync(KvNamespace ns, byte[] key, long now, CancellationToken cancellationToken) =>
        QueryAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(PostgresSql.GetInfo, c) { Parameters = { new() { Value = ns.Handle }, new() { Value = key }, new() { Value = now } } };
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await r.ReadAsync(ct) ? new EntryInfo(key, NullableString(r, 0), NullableLong(r, 1), r.GetInt64(2)) : null;
        }, cancellationToken);

    private ValueTask<IReadOnlyList<EntryInfo>> ReadListAsync(KvNamespace ns, byte[] prefix, byte[]? startAfter, int limit, long now, CancellationToken cancellationToken)
    {
        var range = KeyRange.ForList(prefix, startAfter);
        return QueryAsync<IReadOnlyList<EntryInfo>>(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(PostgresSql.List(range.LowerExclusive, range.Upper is not null), c)
            {
                Parameters = { new() { Value = ns.Handle }, new() { Value = range.Lower }, new() { Value = now }, new() { Value = limit } },
            };
            if (range.Upper is { } upper) cmd.Parameters.Add(new NpgsqlParameter { Value = upper });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var rows = new List<EntryInfo>(Math.Min(limit, 1024));
            while (await r.ReadAsync(ct)) rows.Add(new EntryInfo(r.GetFieldValue<byte[]>(0), NullableString(r, 1), NullableLong(r, 2), r.GetInt64(3)));
            return rows;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<ChangeRecord>> ReadChangesAsync(long afterVersion, int limit, CancellationToken cancellationToken) =>
        QueryAsync<IReadOnlyList<ChangeRecord>>(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(PostgresSql.ReadChanges, c) { Parameters = { new() { Value = afterVersion }, new() { Value = limit } } };
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var rows = new List<ChangeRecord>();
            while (await r.ReadAsync(ct))
                rows.Add(new ChangeRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetFieldValue<byte[]>(3), (ChangeKind)r.GetInt16(4), NullableLong(r, 5)));
            // A page never outruns this origin's head: what it publishes, it also counts as committed.
            if (rows.Count > 0) AdvanceHead(rows[^1].Version);
            return rows;
        }, cancellationToken);

    public ValueTask<long> OldestChangeAsync(CancellationToken cancellationToken) =>
        QueryAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(PostgresSql.OldestChange, c);
            return await cmd.ExecuteScalarAsync(ct) is long v ? v : HeadVersion + 1;
        }, cancellationToken);

    public async ValueTask<IKvSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken) =>
        await Guard(() => PostgresSnapshot.OpenAsync(_data, cancellationToken), "open a snapshot", cancellationToken);

    internal static string? NullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    internal static long? NullableLong(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
