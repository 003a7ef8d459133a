using Kivi.Protocol;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Kivi.Storage.Sqlite;

public sealed partial class SqliteKvEngine
{
    private SqliteCommand _begin = null!, _commit = null!, _rollback = null!;
    private SqliteCommand _upsertZero = null!, _current = null!, _writeHead = null!;
    private NativeStatement _upsert = null!, _delete = null!, _log = null!, _entrySize = null!, _addStorage = null!, _addUsage = null!;

    // The usage and storage changes of the open transaction, written just before its COMMIT (the writer's only).
    private readonly UsageTally _tally = new();

    // The writer's own view of which namespace handles exist, so a put needs no lookup query. Only the
    // writer changes namespaces; after a rollback the view is reloaded from the database.
    private readonly HashSet<long> _liveNamespaces = [];

    private void PrepareWriter(SqliteConnection c)
    {
        _begin = Prepared(c, SqliteSql.BeginImmediate);
        _commit = Prepared(c, SqliteSql.Commit);
        _rollback = Prepared(c, SqliteSql.Rollback);
        _upsert = new NativeStatement(c, SqliteSql.Upsert);
        _upsertZero = Prepared(c, SqliteSql.UpsertZeroBlob, "$ns", "$key", "$metadata", "$expiration", "$version", "$length");
        _delete = new NativeStatement(c, SqliteSql.Delete);
        _current = Prepared(c, SqliteSql.CurrentVersion, "$ns", "$key");
        _log = new NativeStatement(c, SqliteSql.LogChange);
        _entrySize = new NativeStatement(c, SqliteSql.EntrySize);
        _addStorage = new NativeStatement(c, SqliteSql.AddStorage);
        _addUsage = new NativeStatement(c, SqliteSql.AddUsage);
        _writeHead = Prepared(c, SqliteSql.WriteHead, "$v");
    }

    private void DisposeWriterStatements()
    {
        _upsert?.Dispose();
        _delete?.Dispose();
        _log?.Dispose();
        _entrySize?.Dispose();
        _addStorage?.Dispose();
        _addUsage?.Dispose();
    }

    private static SqliteCommand Prepared(SqliteConnection c, string sql, params string[] parameters)
    {
        var command = Command(c, sql);
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return command;
    }

    public int QueuedWrites => _queue.Depth;

    public async Task<WriteResult> WriteAsync(WriteCommand command)
    {
        if (_damage is { } damage) throw Kivi.Protocol.KvErrors.StoreDamaged(_options.DatabasePath, damage);
        return await _queue.SubmitAsync(command);
    }

    public Task<int> PurgeExpiredAsync(long now, int maxRows, CancellationToken cancellationToken) =>
        WriteAsync(new PurgeExpired(now, maxRows)).ContinueWith(t => t.Result.Changed, cancellationToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public Task<int> TrimChangesAsync(long upToVersion, CancellationToken cancellationToken) =>
        WriteAsync(new TrimChanges(upToVersion)).ContinueWith(t => t.Result.Changed, cancellationToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// Stage one of group commit. Opens a transaction and applies whatever is queued; while the previous
    /// batch's fsync is still in flight it keeps applying writes as they arrive, and commits only once the
    /// syncer is free (or the batch is full). Applying overlaps the fsync, and commits stay few and large,
    /// so the pages every commit rewrites (index roots, the log's tail, the head) are written once per group.
    /// </summary>
    private async Task RunWriterAsync()
    {
        Task syncing = Task.CompletedTask;
        Task<bool>? arrival = null;
        try
        {
            while (arrival is null ? await _queue.WaitToReadAsync() : await arrival)
            {
                arrival = null;
                var batch = new List<PendingWrite>(64);
                long head = _head, bytes = 0;
                Exception? failure = null;
                try
                {
                    _begin.ExecuteNonQuery();
                    while (true)
                    {
                        while (_queue.TryTake(batch, ref bytes, _options.MaxBatchWrites, _options.MaxBatchBytes, out var next))
                            (next.Result, next.Publish) = Apply(next.Command, ref head);
                        if (syncing.IsCompleted || WriteQueue.IsFull(batch.Count, bytes, _options.MaxBatchWrites, _options.MaxBatchBytes)) break;
                        arrival ??= _queue.WaitToReadAsync().AsTask();
                        if (await Task.WhenAny(arrival, syncing) != arrival) break;
                        if (!await arrival) break;
                        arrival = null;
                    }
                    WriteTally();
                    if (head != _head)
                    {
                        _writeHead.Parameters[0].Value = head;
                        _writeHead.ExecuteNonQuery();
                    }
                    _commit.ExecuteNonQuery();
                }
                catch (Exception e)
                {
                    failure = e;
                    Rollback();
                }
                if (failure is null)
                {
                    syncing = Committed(batch, head);
                    continue;
                }
                // One command faulted: retry each alone, so it fails by itself and its neighbours land.
                foreach (var pending in batch)
                    if (TryCommit([pending], out var error) is { } committed) syncing = committed;
                    else pending.Done.TrySetException(Translate(error!));
            }
        }
        finally
        {
            _synced.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Stage two: one fdatasync of the WAL makes every batch committed before it durable; only then are
    /// their writers acknowledged. Nothing is acknowledged, and the durable head never passes, a change
    /// that is not on disk.
    /// </summary>
    private async Task RunSyncerAsync()
    {
        var reader = _synced.Reader;
        var ready = new List<CommittedBatch>();
        while (await reader.WaitToReadAsync())
        {
            ready.Clear();
            while (reader.TryRead(out var committed)) ready.Add(committed);
            Exception? failure = null;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                if (_options.Durable) NativeFile.FlushData(_wal!);
                StoreMetrics.SyncDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            catch (IOException e)
            {
                failure = e;
            }
            foreach (var committed in ready)
            {
                if (failure is null) _durable.Advance(committed.Head);
                foreach (var pending in committed.Writes)
                {
                    if (failure is null) pending.Done.TrySetResult(pending.Result!);
                    else pending.Done.TrySetException(new IOException("The write was committed but could not be made durable (fsync failed).", failure));
                }
                committed.Synced.TrySetResult();
            }
        }
    }

    private sealed record CommittedBatch(List<PendingWrite> Writes, long Head)
    {
        public TaskCompletionSource Synced { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Publishes a committed batch to readers and hands it to the syncer; the task completes once it is durable.</summary>
    private Task Committed(List<PendingWrite> batch, long head)
    {
        Volatile.Write(ref _head, head);
        StoreMetrics.BatchSize.Record(batch.Count);
        foreach (var pending in batch) pending.Publish?.Invoke();
        var committed = new CommittedBatch(batch, head);
        _synced.Writer.TryWrite(committed);
        return committed.Synced.Task;
    }

    /// <summary>Applies and commits a batch in one transaction; null (with the error) when it was rolled back.</summary>
    private Task? TryCommit(List<PendingWrite> batch, out Exception? error)
    {
        long head = _head;
        try
        {
            _begin.ExecuteNonQuery();
            foreach (var pending in batch) (pending.Result, pending.Publish) = Apply(pending.Command, ref head);
            WriteTally();
            if (head != _head)
            {
                _writeHead.Parameters[0].Value = head;
                _writeHead.ExecuteNonQuery();
            }
            _commit.ExecuteNonQuery();
        }
        catch (Exception e)
        {
            Rollback();
            error = e;
            return null;
        }
        error = null;
        return Committed(batch, head);
    }

    /// <summary>A full disk (or a store at its configured size) is the writer's 507, not a fault of Kivi's.</summary>
    private Exception Translate(Exception e) => e switch
    {
        SqliteException { SqliteErrorCode: 13 } => Kivi.Protocol.KvErrors.StorageFull(_options.DatabasePath, e), // SQLITE_FULL
        SqliteException s when IsDamage(s) => Damaged(s),
        _ => e,
    };

    private void Rollback()
    {
        try { _rollback.ExecuteNonQuery(); } catch (SqliteException) { /* the transaction may already be gone */ }
        _tally.Clear();
        ReloadLiveNamespaces();
    }

    private (WriteResult, Action?) Apply(WriteCommand command, ref long head)
    {
        _applier.Head = head;
        var outcome = command.Accept(_applier);
        head = _applier.Head;
        return outcome;
    }

    private readonly Applier _applier; // the writer's only: it carries the group's running head

    /// <summary>Each command inside the open transaction, at the group's running head (one instance: only the writer uses it).</summary>
    private sealed class Applier(SqliteKvEngine e) : IWriteCommandVisitor<(WriteResult, Action?)>
    {
        public long Head;

        public (WriteResult, Action?) Visit(PutEntries c) => (e.ApplyPut(c, ref Head), null);
        public (WriteResult, Action?) Visit(DeleteEntries c) => (e.ApplyDelete(c, ref Head), null);
        public (WriteResult, Action?) Visit(CreateNamespace c) => e.ApplyCreateNamespace(c, Head);
        public (WriteResult, Action?) Visit(RenameNamespace c) => e.ApplyRenameNamespace(c, Head);
        public (WriteResult, Action?) Visit(DeleteNamespace c) => e.ApplyDeleteNamespace(c, ref Head);
        public (WriteResult, Action?) Visit(EnsureAccount c) => e.ApplyEnsureAccount(c, Head);
        public (WriteResult, Action?) Visit(CreateToken c) => e.ApplyCreateToken(c, Head);
        public (WriteResult, Action?) Visit(RollToken c) => e.ApplyRollToken(c, Head);
        public (WriteResult, Action?) Visit(RevokeToken c) => e.ApplyRevokeToken(c, Head);
        public (WriteResult, Action?) Visit(PurgeExpired c) => (e.ApplyPurge(c, ref Head), null);
        public (WriteResult, Action?) Visit(TrimChanges c) => (new WriteResult(WriteStatus.Ok, e.Exec(SqliteSql.TrimChanges, ("$v", c.UpToVersion)), Head), null);
        public (WriteResult, Action?) Visit(RecordUsage c) => (e.ApplyUsage(c, Head), null);
    }

    private bool NamespaceStillExists(long handle) => _liveNamespaces.Contains(handle);

    private void ReloadLiveNamespaces()
    {
        _liveNamespaces.Clear();
        using var cmd = Command(_writer!, SqliteSql.LoadNamespaceHandles);
        using var r = cmd.ExecuteReader();
        while (r.Read()) _liveNamespaces.Add(r.GetInt64(0));
    }

    private WriteResult ApplyPut(PutEntries c, ref long head)
    {
        if (!NamespaceStillExists(c.Namespace.Handle)) return WriteResult.Failed(WriteStatus.NamespaceNotFound, head);
        if (c.Condition is { } condition && !MeetsCondition(condition, c.Namespace.Handle, c.Entries[0].Key))
            return WriteResult.Failed(WriteStatus.PreconditionFailed, head);
        foreach (var entry in c.Entries)
        {
            long version = ++head;
            long? oldSize = EntrySize(c.Namespace.Handle, entry.Key);
            _tally.Stored(c.Namespace.Handle, oldSize is null ? 1 : 0, UsageTally.SizeOf(entry) - (oldSize ?? 0));
            _tally.Write(c.Namespace, c.Author, entry.Value.Length);
            if (entry.Value.Length <= _options.InlineValueBytes && entry.Value.TryGetContiguous(out var bytes))
            {
                _upsert.BindSticky(1, c.Namespace.Handle);
                _upsert.Bind(2, entry.Key);
                _upsert.Bind(3, entry.Metadata);
                _upsert.Bind(4, entry.Expiration);
                _upsert.Bind(5, version);
                _upsert.Bind(6, bytes.Span);
                _upsert.Execute();
            }
            else
            {
                _upsertZero.Parameters[0].Value = c.Namespace.Handle;
                _upsertZero.Parameters[1].Value = entry.Key;
                _upsertZero.Parameters[2].Value = (object?)entry.Metadata ?? DBNull.Value;
                _upsertZero.Parameters[3].Value = (object?)entry.Expiration ?? DBNull.Value;
                _upsertZero.Parameters[4].Value = version;
                _upsertZero.Parameters[5].Value = entry.Value.Length;
                long rowId = (long)_upsertZero.ExecuteScalar()!;
                // Stream the value into the zero-filled blob, segment by segment: never one 25 MiB copy.
                using var blob = new SqliteBlob(_writer!, "entries", "value", rowId);
                foreach (var segment in entry.Value.Segments) blob.Write(segment.Span);
            }
            LogChange(version, c.Namespace.AccountId, c.Namespace.Id, entry.Key, ChangeKind.Put, entry.Expiration, c.Author);
        }
        return new WriteResult(WriteStatus.Ok, c.Entries.Count, head);
    }

    /// <summary>Checked inside the write's transaction, after every earlier write of the group: atomic with the put or delete.</summary>
    private bool MeetsCondition(Precondition condition, long handle, byte[] key)
    {
        _current.Parameters[0].Value = handle;
        _current.Parameters[1].Value = key;
        using var r = _current.ExecuteReader();
        if (!r.Read()) return condition.IsMetBy(null, null);
        return condition.IsMetBy(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1));
    }

    private WriteResult ApplyDelete(DeleteEntries c, ref long head)
    {
        if (!NamespaceStillExists(c.Namespace.Handle)) return WriteResult.Failed(WriteStatus.NamespaceNotFound, head);
        if (c.Condition is { } condition && !MeetsCondition(condition, c.Namespace.Handle, c.Keys[0]))
            return WriteResult.Failed(WriteStatus.PreconditionFailed, head);
        int changed = 0;
        foreach (var key in c.Keys)
        {
            _tally.Delete(c.Namespace, c.Author);
            if (EntrySize(c.Namespace.Handle, key) is not { } size) continue;
            _delete.BindSticky(1, c.Namespace.Handle);
            _delete.Bind(2, key);
            _delete.Execute();
            _tally.Stored(c.Namespace.Handle, -1, -size);
            LogChange(++head, c.Namespace.AccountId, c.Namespace.Id, key, ChangeKind.Delete, null, c.Author);
            changed++;
        }
        return new WriteResult(WriteStatus.Ok, changed, head);
    }

    private (WriteResult, Action?) ApplyCreateNamespace(CreateNamespace c, long head)
    {
        var status = CatalogRules.Create((int)Exec<long>(SqliteSql.CountNamespaces, ("$a", c.AccountId)), c.MaxPerAccount,
            titleTaken: Exec<long?>(SqliteSql.TitleTaken, ("$a", c.AccountId), ("$t", c.Title), ("$id", c.NamespaceId)) is not null,
            idTaken: Exec<long?>(SqliteSql.NamespaceIdTaken, ("$id", c.NamespaceId)) is not null);
        if (status != WriteStatus.Ok) return (WriteResult.Failed(status, head), null);
        long handle = Exec<long>(SqliteSql.InsertNamespace, ("$id", c.NamespaceId), ("$a", c.AccountId), ("$t", c.Title), ("$j", (object?)c.Jurisdiction ?? DBNull.Value));
        _liveNamespaces.Add(handle);
        var ns = new KvNamespace(handle, c.NamespaceId, c.AccountId, c.Title, c.Jurisdiction);
        return (new WriteResult(WriteStatus.Ok, 1, head, ns), () => _namespaces[ns.Id] = ns);
    }

    private (WriteResult, Action?) ApplyRenameNamespace(RenameNamespace c, long head)
    {
        long? handle = Exec<long?>(SqliteSql.FindNamespace, ("$a", c.AccountId), ("$id", c.NamespaceId));
        var status = CatalogRules.Rename(handle is not null, Exec<long?>(SqliteSql.TitleTaken, ("$a", c.AccountId), ("$t", c.Title), ("$id", c.NamespaceId)) is not null);
        if (status != WriteStatus.Ok) return (WriteResult.Failed(status, head), null);
        Exec(SqliteSql.RenameNamespace, ("$t", c.Title), ("$h", handle!.Value));
        var ns = _namespaces[c.NamespaceId] with { Title = c.Title };
        return (new WriteResult(WriteStatus.Ok, 1, head, ns), () => _namespaces[ns.Id] = ns);
    }

    private (WriteResult, Action?) ApplyDeleteNamespace(DeleteNamespace c, ref long head)
    {
        long? found = Exec<long?>(SqliteSql.FindNamespace, ("$a", c.AccountId), ("$id", c.NamespaceId));
        if (CatalogRules.Drop(found is not null) is var status && status != WriteStatus.Ok) return (WriteResult.Failed(status, head), null);
        long handle = found!.Value;
        int removed = Exec(SqliteSql.DeleteNamespaceEntries, ("$h", handle));
        Exec(SqliteSql.DeleteNamespace, ("$h", handle));
        Exec(SqliteSql.DropStorage, ("$h", handle));
        _tally.Dropped(handle);
        _liveNamespaces.Remove(handle);
        LogChange(++head, c.AccountId, c.NamespaceId, null, ChangeKind.NamespaceDropped, null, c.Author);
        string id = c.NamespaceId;
        return (new WriteResult(WriteStatus.Ok, removed, head), () => _namespaces.TryRemove(id, out _));
    }

    private (WriteResult, Action?) ApplyEnsureAccount(EnsureAccount c, long head)
    {
        Exec(SqliteSql.InsertAccount, ("$id", c.AccountId), ("$name", c.Name));
        string id = c.AccountId;
        return (new WriteResult(WriteStatus.Ok, 1, head), () => _accounts[id] = 0);
    }

    private (WriteResult, Action?) ApplyCreateToken(CreateToken c, long head)
    {
        var t = c.Token;
        Exec(SqliteSql.InsertToken, ("$id", t.Id), ("$a", t.AccountId), ("$name", t.Name), ("$p", (int)t.Permission),
            ("$ns", t.Namespaces is null ? DBNull.Value : System.Text.Json.JsonSerializer.Serialize(t.Namespaces.ToArray(), SqliteJsonContext.Default.StringArray)),
            ("$issued", t.IssuedOn), ("$hash", t.Hash));
        return (new WriteResult(WriteStatus.Ok, 1, head, Token: t), () => _tokensByHash[Convert.ToHexString(t.Hash)] = t);
    }

    /// <summary>The token as the open transaction sees it (the published view may lag a roll earlier in this group).</summary>
    private KvToken? CurrentToken(string accountId, string tokenId) =>
        Exec<byte[]?>(SqliteSql.TokenHash, ("$id", tokenId), ("$a", accountId)) is { } hash &&
        _tokensByHash.Values.FirstOrDefault(t => t.Id == tokenId && t.AccountId == accountId) is { } known
            ? known with { Hash = hash }
            : null;

    private (WriteResult, Action?) ApplyRollToken(RollToken c, long head)
    {
        var old = CurrentToken(c.AccountId, c.TokenId);
        if (CatalogRules.ChangeToken(old is not null) is var status && status != WriteStatus.Ok) return (WriteResult.Failed(status, head), null);
        Exec(SqliteSql.UpdateTokenHash, ("$hash", c.Hash), ("$id", c.TokenId), ("$a", c.AccountId));
        var rolled = old! with { Hash = c.Hash };
        return (new WriteResult(WriteStatus.Ok, 1, head, Token: rolled), () =>
        {
            _tokensByHash.TryRemove(Convert.ToHexString(old.Hash), out _);
            _tokensByHash[Convert.ToHexString(rolled.Hash)] = rolled;
        });
    }

    private (WriteResult, Action?) ApplyRevokeToken(RevokeToken c, long head)
    {
        var old = CurrentToken(c.AccountId, c.TokenId);
        if (CatalogRules.ChangeToken(old is not null) is var status && status != WriteStatus.Ok) return (WriteResult.Failed(status, head), null);
        Exec(SqliteSql.DeleteToken, ("$id", c.TokenId), ("$a", c.AccountId));
        var revoked = old!;
        return (new WriteResult(WriteStatus.Ok, 1, head, Token: revoked), () => _tokensByHash.TryRemove(Convert.ToHexString(revoked.Hash), out _));
    }

    private WriteResult ApplyPurge(PurgeExpired c, ref long head)
    {
        var expired = new List<(long RowId, string Ns, byte[] Key, long Expiration, string Account, long Handle, long Size)>();
        using (var find = Command(_writer!, SqliteSql.FindExpired))
        {
            find.Parameters.AddWithValue("$now", c.Now);
            find.Parameters.AddWithValue("$max", c.MaxRows);
            using var r = find.ExecuteReader();
            while (r.Read()) expired.Add((r.GetInt64(0), r.GetString(1), r.GetFieldValue<byte[]>(2), r.GetInt64(3), r.GetString(4), r.GetInt64(5), r.GetInt64(6)));
        }
        foreach (var (rowId, ns, key, expiration, account, handle, size) in expired)
        {
            Exec(SqliteSql.DeleteRow, ("$r", rowId));
            _tally.Expired(account, ns, handle, c.Now, size);
            LogChange(++head, account, ns, key, ChangeKind.Expire, expiration);
        }
        return new WriteResult(WriteStatus.Ok, expired.Count, head);
    }

    private void LogChange(long version, string account, string ns, byte[]? key, ChangeKind kind, long? expiration, ChangeAuthor? author = null)
    {
        // A batch's rows share their namespace, kind, account and author: bound once (sticky), not once a row.
        _log.Bind(1, version);
        _log.BindSticky(2, ns);
        if (key is null) _log.Bind(3, (string?)null);
        else _log.Bind(3, key);
        _log.BindSticky(4, (int)kind);
        _log.Bind(5, expiration);
        _log.BindSticky(6, account);
        _log.BindSticky(7, author?.At ?? 0);
        _log.BindSticky(8, author?.TokenId);
        _log.BindSticky(9, author?.TokenName);
        _log.Execute();
    }

    /// <summary>The entry's size as storage counts it, or null when the key is not there (in the open transaction).</summary>
    private long? EntrySize(long handle, byte[] key)
    {
        _entrySize.BindSticky(1, handle);
        _entrySize.Bind(2, key);
        return _entrySize.ScalarInt64();
    }

    /// <summary>Applies a usage report, unless its reporter's sequence shows it was applied before.</summary>
    private WriteResult ApplyUsage(RecordUsage c, long head)
    {
        var report = c.Report;
        if (report.Reporter is { } reporter)
        {
            if (Exec<long?>(SqliteSql.ReporterSequence, ("$r", reporter)) is { } applied && applied >= report.Sequence)
                return new WriteResult(WriteStatus.Ok, 0, head);
            Exec(SqliteSql.SetReporterSequence, ("$r", reporter), ("$s", report.Sequence));
        }
        foreach (var row in report.Rows)
            _tally.Add(row, _namespaces.TryGetValue(row.NamespaceId, out var ns) && ns.AccountId == row.AccountId ? ns.Handle : 0);
        return new WriteResult(WriteStatus.Ok, report.Rows.Count, head);
    }

    /// <summary>Writes the open transaction's storage and usage changes, just before its COMMIT.</summary>
    private void WriteTally()
    {
        if (_tally.IsEmpty) return;
        foreach (var (handle, (keys, bytes)) in _tally.StorageDeltas)
        {
            _addStorage.Bind(1, handle);
            _addStorage.Bind(2, keys);
            _addStorage.Bind(3, bytes);
            _addStorage.Execute();
        }
        foreach (var row in _tally.OperationRows)
        {
            _addUsage.Bind(1, row.AccountId);
            _addUsage.Bind(2, row.NamespaceId);
            _addUsage.Bind(3, row.Hour);
            _addUsage.Bind(4, row.Reads);
            _addUsage.Bind(5, row.Writes);
            _addUsage.Bind(6, row.Deletes);
            _addUsage.Bind(7, row.Lists);
            _addUsage.Bind(8, row.ReadBytes);
            _addUsage.Bind(9, row.WriteBytes);
            _addUsage.Bind(10, row.Handle);
            _addUsage.Execute();
        }
        _tally.Clear();
    }

    private int Exec(string sql, params (string Name, object Value)[] parameters)
    {
        using var cmd = WithParameters(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private T Exec<T>(string sql, params (string Name, object Value)[] parameters)
    {
        using var cmd = WithParameters(sql, parameters);
        var result = cmd.ExecuteScalar();
        return result is null or DBNull ? default! : (T)result;
    }

    private SqliteCommand WithParameters(string sql, (string Name, object Value)[] parameters)
    {
        var cmd = Command(_writer!, sql);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }
}
