using System.Diagnostics;
using System.Threading.Channels;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Npgsql;

namespace Kivi.Storage.Postgres;

public sealed partial class PostgresKvEngine
{
    /// <summary>The COMMIT itself failed on a broken connection: the transaction may or may not have committed.</summary>
    private sealed class CommitOutcomeUnknownException(Exception inner) : Exception(inner.Message, inner);

    private readonly WriteQueue _queue = new();
    private NpgsqlConnection? _writer;

    public int QueuedWrites => _queue.Depth;

    public async Task<WriteResult> WriteAsync(WriteCommand command)
    {
        return await _queue.SubmitAsync(command);
    }

    public async Task<int> PurgeExpiredAsync(long now, int maxRows, CancellationToken cancellationToken) =>
        (await WriteAsync(new PurgeExpired(now, maxRows))).Changed;

    public async Task<int> TrimChangesAsync(long upToVersion, CancellationToken cancellationToken) =>
        (await WriteAsync(new TrimChanges(upToVersion))).Changed;

    /// <summary>Group commit: whatever queued while the last transaction committed goes into the next one.</summary>
    private async Task RunWriterAsync()
    {
        while (await _queue.WaitToReadAsync())
        {
            var batch = new List<PendingWrite>(64);
            long bytes = 0;
            while (_queue.TryTake(batch, ref bytes, _options.MaxBatchWrites, _options.MaxBatchBytes, out _)) { }
            await CommitAsync(batch);
        }
        await DropAsync(_writer);
    }

    /// <summary>
    /// Commits a batch, retrying only where that is safe: a transaction that failed before its COMMIT was
    /// sent was rolled back by the server, so it is tried again on a new connection until
    /// <see cref="PostgresKvOptions.RetryFor"/> runs out. A COMMIT lost with its connection is never resent
    /// (it may have landed): its writers get a 503 that says the outcome is unknown. A command that fails
    /// by itself (not the connection) fails alone; the rest of its batch is committed without it.
    /// </summary>
    private async Task CommitAsync(List<PendingWrite> batch)
    {
        long giveUpAt = Stopwatch.GetTimestamp() + (long)(_options.RetryFor.TotalSeconds * Stopwatch.Frequency);
        for (int attempt = 0; ; attempt++)
        {
            Exception failure;
            try
            {
                await ApplyAndCommitAsync(batch);
                return;
            }
            catch (CommitOutcomeUnknownException e)
            {
                await ResetWriterAsync();
                var error = new KvException(503, KvErrorCode.UpstreamUnavailable,
                    $"The connection to the PostgreSQL store at {_where} broke while the write was committing: it may or may not have been applied. Read the key to find out. ({e.Message})", e.InnerException);
                foreach (var pending in batch) pending.Done.TrySetException(error);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DiskFull)
            {
                // Npgsql calls it transient, but retrying will not free space: refuse at once, nothing was written.
                await ResetWriterAsync();
                var error = Kivi.Protocol.KvErrors.StorageFull(_where, e);
                foreach (var pending in batch) pending.Done.TrySetException(error);
                return;
            }
            catch (Exception e) when (IsTransient(e))
            {
                await ResetWriterAsync();
                failure = e;
            }
            catch (Exception e)
            {
                await ResetWriterAsync();
                if (batch.Count == 1) batch[0].Done.TrySetException(e);
                else foreach (var pending in batch) await CommitAsync([pending]);
                return;
            }
            if (Stopwatch.GetTimestamp() > giveUpAt)
            {
                var error = Unavailable(failure, "write (nothing was written)");
                foreach (var pending in batch) pending.Done.TrySetException(error);
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 << Math.Min(attempt, 5))));
        }
    }

    private async Task ResetWriterAsync()
    {
        await DropAsync(_writer);
        _writer = null;
        _data.Clear();
    }

    private async Task ApplyAndCommitAsync(List<PendingWrite> batch)
    {
        _writer ??= await _data.OpenConnectionAsync();
        var connection = _writer;
        await using var tx = await connection.BeginTransactionAsync();
        // The lock every writer of every origin takes first and holds until COMMIT: versions follow commit order.
        var (head, catalogVersion) = await ReadHeadAsync(connection, tx, PostgresSql.LockHead, CancellationToken.None);
        var known = Volatile.Read(ref _catalog);
        if (known.Version != catalogVersion)
        {
            known = await Catalog.LoadAsync(connection, tx, catalogVersion, CancellationToken.None);
            Publish(known); // already committed by another origin; read under the lock, so exact
        }
        var state = new BatchState(connection, tx, head, catalogVersion, known);
        foreach (var pending in batch) pending.Result = await pending.Command.Accept(state);
        await state.FinishAsync(_notify);
        if (_options.BeforeCommit is { } hook) await hook();
        long started = Stopwatch.GetTimestamp();
        try
        {
            await tx.CommitAsync();
            StoreMetrics.SyncDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            StoreMetrics.BatchSize.Record(batch.Count);
        }
        catch (PostgresException e) when (e.IsTransient)
        {
            throw; // the server refused the COMMIT (a serialisation failure on distributed engines): rolled back, safe to retry
        }
        catch (Exception e) when (IsTransient(e))
        {
            throw new CommitOutcomeUnknownException(e);
        }
        AdvanceHead(state.Head);
        if (state.Changed is { } changed)
        {
            changed.Version = state.CatalogVersion;
            Publish(changed);
        }
        foreach (var pending in batch) pending.Done.TrySetResult(pending.Result!);
    }

    /// <summary>One write transaction: applies commands in order, deferring puts and log rows to as few statements as it can.</summary>
    private sealed class BatchState(NpgsqlConnection connection, NpgsqlTransaction tx, long head, long catalogVersion, Catalog known) : IWriteCommandVisitor<Task<WriteResult>>
    {
        private readonly long _startHead = head;
        private readonly long _startCatalog = catalogVersion;
        private Catalog? _changed;

        // Puts not yet sent, one statement for all; a key seen twice sends the first group before the second.
        private readonly List<long> _putNs = [];
        private readonly List<byte[]> _putKey = [];
        private readonly List<string?> _putMeta = [];
        private readonly List<long?> _putExp = [];
        private readonly List<long> _putVersion = [];
        private readonly List<byte[]> _putValue = [];
        private readonly List<long> _putSize = [];
        private readonly HashSet<(long, byte[])> _putKeys = new(EntryKeyComparer.Instance);

        // Change-log rows, all sent at the end: nothing in the batch reads the log.
        private readonly List<long> _logVersion = [];
        private readonly List<string> _logAccount = [];
        private readonly List<string> _logNs = [];
        private readonly List<byte[]?> _logKey = [];
        private readonly List<short> _logKind = [];
        private readonly List<long?> _logExp = [];
        private readonly List<long> _logAt = [];
        private readonly List<string?> _logTokenId = [];
        private readonly List<string?> _logTokenName = [];

        // Usage and storage changes, written with the last round trip (storage of puts goes with the puts themselves).
        private readonly UsageTally _tally = new();

        public long Head { get; private set; } = head;
        public long CatalogVersion { get; private set; } = catalogVersion;

        /// <summary>The catalog as this batch changed it, or null when it changed nothing in it.</summary>
        public Catalog? Changed => _changed;

        private Catalog View => _changed ?? known;

        private Catalog Change()
        {
            CatalogVersion++;
            return _changed ??= known.Clone(known.Version);
        }

        public Task<WriteResult> Visit(PutEntries c) => PutAsync(c);
        public Task<WriteResult> Visit(DeleteEntries c) => DeleteAsync(c);
        public Task<WriteResult> Visit(CreateNamespace c) => CreateNamespaceAsync(c);
        public Task<WriteResult> Visit(RenameNamespace c) => RenameNamespaceAsync(c);
        public Task<WriteResult> Visit(DeleteNamespace c) => DeleteNamespaceAsync(c);
        public Task<WriteResult> Visit(EnsureAccount c) => EnsureAccountAsync(c);
        public Task<WriteResult> Visit(CreateToken c) => CreateTokenAsync(c);
        public Task<WriteResult> Visit(RollToken c) => RollTokenAsync(c);
        public Task<WriteResult> Visit(RevokeToken c) => RevokeTokenAsync(c);
        public Task<WriteResult> Visit(PurgeExpired c) => PurgeAsync(c);
        public Task<WriteResult> Visit(TrimChanges c) => TrimAsync(c);
        public Task<WriteResult> Visit(RecordUsage c) => RecordUsageAsync(c);

        private WriteResult Failed(WriteStatus status) => WriteResult.Failed(status, Head);

        private async Task<WriteResult> PutAsync(PutEntries c)
        {
            if (!View.ByHandle.ContainsKey(c.Namespace.Handle)) return Failed(WriteStatus.NamespaceNotFound);
            if (c.Condition is { } condition && !await MeetsAsync(condition, c.Namespace.Handle, c.Entries[0].Key)) return Failed(WriteStatus.PreconditionFailed);
            foreach (var entry in c.Entries)
            {
                if (!_putKeys.Add((c.Namespace.Handle, entry.Key)))
                {
                    await FlushPutsAsync();
                    _putKeys.Add((c.Namespace.Handle, entry.Key));
                }
                long version = ++Head;
                _putNs.Add(c.Namespace.Handle);
                _putKey.Add(entry.Key);
                _putMeta.Add(entry.Metadata);
                _putExp.Add(entry.Expiration);
                _putVersion.Add(version);
                _putValue.Add(entry.Value.ToArray());
                _putSize.Add(UsageTally.SizeOf(entry));
                _tally.Write(c.Namespace, c.Author, entry.Value.Length);
                Log(version, c.Namespace.AccountId, c.Namespace.Id, entry.Key, ChangeKind.Put, entry.Expiration, c.Author);
            }
            return new WriteResult(WriteStatus.Ok, c.Entries.Count, Head);
        }

        /// <summary>Checked inside the transaction that writes, after every earlier write of the batch: atomic with the put or delete.</summary>
        private async Task<bool> MeetsAsync(Precondition condition, long handle, byte[] key)
        {
            await FlushPutsAsync();
            await using var cmd = Command(PostgresSql.CurrentVersion, handle, key);
            await using var r = await cmd.ExecuteReaderAsync();
            return await r.ReadAsync()
                ? condition.IsMetBy(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1))
                : condition.IsMetBy(null, null);
        }

        private async Task<WriteResult> DeleteAsync(DeleteEntries c)
        {
            if (!View.ByHandle.ContainsKey(c.Namespace.Handle)) return Failed(WriteStatus.NamespaceNotFound);
            if (c.Condition is { } condition && !await MeetsAsync(condition, c.Namespace.Handle, c.Keys[0])) return Failed(WriteStatus.PreconditionFailed);
            await FlushPutsAsync();
            var deleted = new Dictionary<byte[], long>(ByteArrayComparer.Instance);
            await using (var cmd = Command(PostgresSql.DeleteKeys, c.Namespace.Handle, c.Keys.ToArray()))
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) deleted[r.GetFieldValue<byte[]>(0)] = r.GetInt64(1);
            int changed = 0;
            foreach (var key in c.Keys)
            {
                _tally.Delete(c.Namespace, c.Author);
                if (!deleted.Remove(key, out long size)) continue; // missing, or named twice
                _tally.Stored(c.Namespace.Handle, -1, -size);
                Log(++Head, c.Namespace.AccountId, c.Namespace.Id, key, ChangeKind.Delete, null, c.Author);
                changed++;
            }
            return new WriteResult(WriteStatus.Ok, changed, Head);
        }

        private async Task<WriteResult> CreateNamespaceAsync(CreateNamespace c)
        {
            var view = View;
            var status = CatalogRules.Create(view.Namespaces.Values.Count(n => n.AccountId == c.AccountId), c.MaxPerAccount,
                CatalogRules.TitleTaken(view.Namespaces.Values, c.AccountId, c.Title, c.NamespaceId), view.Namespaces.ContainsKey(c.NamespaceId));
            if (status != WriteStatus.Ok) return Failed(status);
            var catalog = Change();
            var ns = new KvNamespace(CatalogVersion, c.NamespaceId, c.AccountId, c.Title, c.Jurisdiction); // catalog numbers are never reused: nor are handles
            await ExecAsync(PostgresSql.InsertNamespace, ns.Handle, ns.Id, ns.AccountId, ns.Title, (object?)ns.Jurisdiction ?? DBNull.Value);
            catalog.Add(ns);
            return new WriteResult(WriteStatus.Ok, 1, Head, ns);
        }

        private async Task<WriteResult> RenameNamespaceAsync(RenameNamespace c)
        {
            bool found = View.Namespaces.TryGetValue(c.NamespaceId, out var ns) && ns.AccountId == c.AccountId;
            var status = CatalogRules.Rename(found, CatalogRules.TitleTaken(View.Namespaces.Values, c.AccountId, c.Title, c.NamespaceId));
            if (status != WriteStatus.Ok) return Failed(status);
            await ExecAsync(PostgresSql.RenameNamespace, c.Title, ns!.Handle);
            var renamed = ns with { Title = c.Title };
            Change().Add(renamed);
            return new WriteResult(WriteStatus.Ok, 1, Head, renamed);
        }

        private async Task<WriteResult> DeleteNamespaceAsync(DeleteNamespace c)
        {
            bool found = View.Namespaces.TryGetValue(c.NamespaceId, out var ns) && ns.AccountId == c.AccountId;
            if (CatalogRules.Drop(found) is var status && status != WriteStatus.Ok) return Failed(status);
            await FlushPutsAsync();
            int removed = await ExecAsync(PostgresSql.DeleteNamespaceEntries, ns!.Handle);
            await ExecAsync(PostgresSql.DeleteNamespace, ns.Handle);
            await ExecAsync(PostgresSql.DropStorage, ns.Handle);
            _tally.Dropped(ns.Handle);
            Change().Remove(ns);
            Log(++Head, c.AccountId, c.NamespaceId, null, ChangeKind.NamespaceDropped, null, c.Author);
            return new WriteResult(WriteStatus.Ok, removed, Head);
        }

        private async Task<WriteResult> EnsureAccountAsync(EnsureAccount c)
        {
            if (View.Accounts.Contains(c.AccountId)) return new WriteResult(WriteStatus.Ok, 1, Head);
            await ExecAsync(PostgresSql.InsertAccount, c.AccountId, c.Name);
            Change().Accounts.Add(c.AccountId);
            return new WriteResult(WriteStatus.Ok, 1, Head);
        }

        private async Task<WriteResult> CreateTokenAsync(CreateToken c)
        {
            var t = c.Token;
            await ExecAsync(PostgresSql.InsertToken, t.Id, t.AccountId, t.Name, (int)t.Permission, (object?)Catalog.SerializeNamespaces(t) ?? DBNull.Value, t.IssuedOn, t.Hash);
            Change().TokensByHash[Convert.ToHexString(t.Hash)] = t;
            return new WriteResult(WriteStatus.Ok, 1, Head, Token: t);
        }

        private async Task<WriteResult> RollTokenAsync(RollToken c)
        {
            var old = View.FindToken(c.AccountId, c.TokenId);
            if (CatalogRules.ChangeToken(old is not null) is var status && status != WriteStatus.Ok) return Failed(status);
            await ExecAsync(PostgresSql.UpdateTokenHash, c.Hash, c.TokenId, c.AccountId);
            var rolled = old! with { Hash = c.Hash };
            var catalog = Change();
            catalog.TokensByHash.Remove(Convert.ToHexString(old.Hash));
            catalog.TokensByHash[Convert.ToHexString(rolled.Hash)] = rolled;
            return new WriteResult(WriteStatus.Ok, 1, Head, Token: rolled);
        }

        private async Task<WriteResult> RevokeTokenAsync(RevokeToken c)
        {
            var old = View.FindToken(c.AccountId, c.TokenId);
            if (CatalogRules.ChangeToken(old is not null) is var status && status != WriteStatus.Ok) return Failed(status);
            await ExecAsync(PostgresSql.DeleteToken, c.TokenId, c.AccountId);
            Change().TokensByHash.Remove(Convert.ToHexString(old!.Hash));
            return new WriteResult(WriteStatus.Ok, 1, Head, Token: old);
        }

        private async Task<WriteResult> PurgeAsync(PurgeExpired c)
        {
            await FlushPutsAsync();
            var ns = new List<long>();
            var keys = new List<byte[]>();
            var expirations = new List<long>();
            var sizes = new List<long>();
            await using (var cmd = Command(PostgresSql.FindExpired, c.Now, c.MaxRows))
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync())
                {
                    ns.Add(r.GetInt64(0));
                    keys.Add(r.GetFieldValue<byte[]>(1));
                    expirations.Add(r.GetInt64(2));
                    sizes.Add(r.GetInt64(3));
                }
            if (ns.Count == 0) return new WriteResult(WriteStatus.Ok, 0, Head);
            await ExecAsync(PostgresSql.DeleteExpired, ns.ToArray(), keys.ToArray());
            for (int i = 0; i < ns.Count; i++)
                if (View.ByHandle.TryGetValue(ns[i], out var owner)) _tally.Expired(owner.AccountId, owner.Id, ns[i], c.Now, sizes[i]);
                else _tally.Stored(ns[i], -1, -sizes[i]);
            for (int i = 0; i < ns.Count; i++)
                if (View.ByHandle.TryGetValue(ns[i], out var owner))
                    Log(++Head, owner.AccountId, owner.Id, keys[i], ChangeKind.Expire, expirations[i]);
            return new WriteResult(WriteStatus.Ok, ns.Count, Head);
        }

        private async Task<WriteResult> TrimAsync(TrimChanges c) =>
            new(WriteStatus.Ok, await ExecAsync(PostgresSql.TrimChanges, c.UpToVersion), Head);

        /// <summary>Applies a usage report, unless its reporter's sequence shows it was applied before (read under the head lock).</summary>
        private async Task<WriteResult> RecordUsageAsync(RecordUsage c)
        {
            var report = c.Report;
            if (report.Reporter is { } reporter)
            {
                await using (var cmd = Command(PostgresSql.ReporterSequence, reporter))
                    if (await cmd.ExecuteScalarAsync() is long applied && applied >= report.Sequence) return new WriteResult(WriteStatus.Ok, 0, Head);
                await ExecAsync(PostgresSql.SetReporterSequence, reporter, report.Sequence);
            }
            foreach (var row in report.Rows)
                _tally.Add(row, View.Namespaces.TryGetValue(row.NamespaceId, out var ns) && ns.AccountId == row.AccountId ? ns.Handle : 0);
            return new WriteResult(WriteStatus.Ok, report.Rows.Count, Head);
        }

        private void Log(long version, string account, string ns, byte[]? key, ChangeKind kind, long? expiration, ChangeAuthor? author = null)
        {
            _logAt.Add(author?.At ?? 0);
            _logTokenId.Add(author?.TokenId);
            _logTokenName.Add(author?.TokenName);
            _logVersion.Add(version);
            _logAccount.Add(account);
            _logNs.Add(ns);
            _logKey.Add(key);
            _logKind.Add((short)kind);
            _logExp.Add(expiration);
        }

        private async Task FlushPutsAsync()
        {
            if (_putNs.Count == 0) return;
            await using var batch = new NpgsqlBatch(connection, tx);
            AddPuts(batch);
            await batch.ExecuteNonQueryAsync();
        }

        private void AddPuts(NpgsqlBatch batch)
        {
            if (_putNs.Count == 0) return;
            var ns = _putNs.ToArray();
            var keys = _putKey.ToArray();
            batch.BatchCommands.Add(BatchCommand(PostgresSql.StoragePuts, ns, keys, _putSize.ToArray())); // before the upsert: it reads the old rows
            batch.BatchCommands.Add(BatchCommand(PostgresSql.UpsertMany,
                ns, keys, _putMeta.ToArray(), _putExp.ToArray(), _putVersion.ToArray(), _putValue.ToArray()));
            _putSize.Clear();
            _putNs.Clear();
            _putKey.Clear();
            _putMeta.Clear();
            _putExp.Clear();
            _putVersion.Clear();
            _putValue.Clear();
            _putKeys.Clear();
        }

        /// <summary>The last round trip before COMMIT: the remaining puts, every log row, the new head, and the wake-up for other origins.</summary>
        public async Task FinishAsync(bool notify)
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            AddPuts(batch);
            if (_logVersion.Count > 0)
                batch.BatchCommands.Add(BatchCommand(PostgresSql.LogMany,
                    _logVersion.ToArray(), _logAccount.ToArray(), _logNs.ToArray(), _logKey.ToArray(), _logKind.ToArray(), _logExp.ToArray(),
                    _logAt.ToArray(), _logTokenId.ToArray(), _logTokenName.ToArray()));
            AddTally(batch);
            if (Head != _startHead || CatalogVersion != _startCatalog)
            {
                batch.BatchCommands.Add(BatchCommand(PostgresSql.WriteHead, Head, CatalogVersion));
                if (notify) batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresSql.Notify)); // delivered at COMMIT, and only if it commits
            }
            if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync();
        }

        /// <summary>Storage changes of deletes and purges, then the usage rows (which read the storage they end with).</summary>
        private void AddTally(NpgsqlBatch batch)
        {
            if (_tally.IsEmpty) return;
            var storage = _tally.StorageDeltas;
            if (storage.Count > 0)
                batch.BatchCommands.Add(BatchCommand(PostgresSql.AddStorage, storage.Keys.ToArray(), storage.Values.Select(v => v.Keys).ToArray(), storage.Values.Select(v => v.Bytes).ToArray()));
            var rows = _tally.OperationRows.ToArray();
            if (rows.Length > 0)
                batch.BatchCommands.Add(BatchCommand(PostgresSql.AddUsage, rows.Select(r => r.AccountId).ToArray(), rows.Select(r => r.NamespaceId).ToArray(),
                    rows.Select(r => r.Hour).ToArray(), rows.Select(r => r.Reads).ToArray(), rows.Select(r => r.Writes).ToArray(), rows.Select(r => r.Deletes).ToArray(),
                    rows.Select(r => r.Lists).ToArray(), rows.Select(r => r.ReadBytes).ToArray(), rows.Select(r => r.WriteBytes).ToArray(), rows.Select(r => r.Handle).ToArray()));
        }

        private NpgsqlCommand Command(string sql, params object[] values)
        {
            var cmd = new NpgsqlCommand(sql, connection, tx);
            foreach (var value in values) cmd.Parameters.Add(new NpgsqlParameter { Value = value });
            return cmd;
        }

        private static NpgsqlBatchCommand BatchCommand(string sql, params object[] values)
        {
            var cmd = new NpgsqlBatchCommand(sql);
            foreach (var value in values) cmd.Parameters.Add(new NpgsqlParameter { Value = value });
            return cmd;
        }

        private async Task<int> ExecAsync(string sql, params object[] values)
        {
            await using var cmd = Command(sql, values);
            return await cmd.ExecuteNonQueryAsync();
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }

    private sealed class EntryKeyComparer : IEqualityComparer<(long Ns, byte[] Key)>
    {
        public static readonly EntryKeyComparer Instance = new();
        public bool Equals((long Ns, byte[] Key) x, (long Ns, byte[] Key) y) => x.Ns == y.Ns && x.Key.AsSpan().SequenceEqual(y.Key);
        public int GetHashCode((long Ns, byte[] Key) obj) => HashCode.Combine(obj.Ns, ByteArrayComparer.Instance.GetHashCode(obj.Key));
    }
}
