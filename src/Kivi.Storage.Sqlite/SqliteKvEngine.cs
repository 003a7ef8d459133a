using System.Collections.Concurrent;
using System.Threading.Channels;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Kivi.Storage.Sqlite;

/// <summary>
/// The embedded engine. One writer loop owns the only write connection and commits every queued change
/// in one transaction and one fsync (group commit); readers run in parallel on pooled WAL snapshots.
/// </summary>
public sealed partial class SqliteKvEngine : IKvEngine, IKvMaintenance
{
    private readonly SqliteKvOptions _options;
    private readonly string _connectionString;
    private readonly ReaderPool _readers;
    private readonly WriteQueue _queue = new();

    // Published views, replaced by the writer after each commit; readers never see uncommitted state.
    private readonly ConcurrentDictionary<string, KvNamespace> _namespaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KvToken> _tokensByHash = new(StringComparer.Ordinal);
    private readonly Channel<CommittedBatch> _synced = Channel.CreateUnbounded<CommittedBatch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _head;
    private readonly DurableHead _durable = new();
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _wal;
    private Task? _writerLoop;
    private Task? _syncerLoop;
    private SqliteConnection? _writer;

    public SqliteKvEngine(SqliteKvOptions options)
    {
        _options = options;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString();
        _readers = new ReaderPool(_connectionString, maxIdle: Math.Max(8, Environment.ProcessorCount * 8));
        _applier = new Applier(this);
    }

    public string Description => $"SQLite at {Path.GetFullPath(_options.DatabasePath)}";

    public string? Warning => null;

    public long HeadVersion => Volatile.Read(ref _head);

    /// <summary>The newest version known to be on disk; a change feed never publishes past it.</summary>
    public long DurableHeadVersion => _durable.Value;

    public Task WaitForDurableAsync(long version, CancellationToken cancellationToken) => _durable.WaitPastAsync(version, cancellationToken);

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(_options.DatabasePath)) is { } folder) Directory.CreateDirectory(folder);
        _writer = new SqliteConnection(_connectionString);
        try
        {
            _writer.Open();
            Exec(_writer, SqliteSql.Pragmas);
            if (Check(_writer, _options.IntegrityCheck) is { Count: > 0 } problems)
                throw new StoreDamagedException(_options.DatabasePath, string.Join("; ", problems));
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            _writer.Dispose();
            throw new StoreDamagedException(_options.DatabasePath, e.Message, e);
        }
        catch (StoreDamagedException)
        {
            _writer.Dispose();
            throw;
        }
        // SQLite does not fsync at commit (NORMAL); the syncer fdatasyncs the WAL itself before acknowledging,
        // which gives FULL's guarantee while the next batch is already being applied.
        Exec(_writer, _options.Durable ? "PRAGMA synchronous = NORMAL;" : "PRAGMA synchronous = OFF;");
        Exec(_writer, $"PRAGMA wal_autocheckpoint = {_options.CheckpointPages};");
        Migrate(_writer);
        _head = (long)Scalar(_writer, SqliteSql.ReadHead)!;
        _durable.Advance(_head);
        Lineage = BeginEpoch(_writer);
        // Kept open for the engine's lifetime: SQLite's locks live on the database and -shm files, not on
        // the WAL, so this handle cannot disturb them.
        if (_options.Durable)
            _wal = File.OpenHandle(_options.DatabasePath + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        using (var cmd = Command(_writer, SqliteSql.LoadAccounts))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) _accounts[r.GetString(0)] = 0;
        using (var cmd = Command(_writer, SqliteSql.LoadNamespaces))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var ns = new KvNamespace(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4));
                _namespaces[ns.Id] = ns;
            }
        using (var cmd = Command(_writer, SqliteSql.LoadTokens))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var token = new KvToken(r.GetString(0), r.GetString(1), r.GetString(2), (TokenPermission)r.GetInt32(3),
                    r.IsDBNull(4) ? null : System.Text.Json.JsonSerializer.Deserialize(r.GetString(4), SqliteJsonContext.Default.StringArray),
                    r.GetInt64(5), r.GetFieldValue<byte[]>(6));
                _tokensByHash[Convert.ToHexString(token.Hash)] = token;
            }
        PrepareWriter(_writer);
        ReloadLiveNamespaces();
        _writerLoop = Task.Run(RunWriterAsync, CancellationToken.None);
        _syncerLoop = Task.Run(RunSyncerAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Kivi.Protocol.StoreLineage? Lineage { get; private set; }

    /// <summary>SQLITE_CORRUPT and SQLITE_NOTADB: the file is damaged, not merely busy or full.</summary>
    internal static bool IsDamage(SqliteException e) => (e.SqliteErrorCode & 0xff) is 11 or 26;

    private volatile string? _damage;

    /// <summary>Damage found while serving: remembered, so that nothing more is written into the file.</summary>
    private Kivi.Protocol.KvException Damaged(Exception e)
    {
        _damage ??= e.Message;
        return Kivi.Protocol.KvErrors.StoreDamaged(_options.DatabasePath, _damage, e);
    }

    /// <summary>The problems SQLite's quick_check or integrity_check finds (at most 20); none when the file is sound.</summary>
    public static IReadOnlyList<string> Check(SqliteConnection connection, IntegrityCheck check)
    {
        if (check == IntegrityCheck.Off) return [];
        using var cmd = Command(connection, check == IntegrityCheck.Full ? "PRAGMA integrity_check(20);" : "PRAGMA quick_check(20);");
        cmd.CommandTimeout = 0;
        var rows = new List<string>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) rows.Add(r.GetString(0));
        return rows is ["ok"] ? [] : rows;
    }

    /// <summary>Opens the store's file read-only and checks it fully (<c>kivi check</c>): the problems found, none when sound.</summary>
    public static IReadOnlyList<string> CheckFile(string databasePath, IntegrityCheck check = IntegrityCheck.Full)
    {
        if (!File.Exists(databasePath)) throw new FileNotFoundException($"There is no store at {databasePath}.", databasePath);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            connection.Open();
            return Check(connection, check);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            return [e.Message];
        }
    }

    /// <summary>
    /// Every open starts an epoch at the head: a copy of this file restored later starts one of its own, so a
    /// follower positioned in the history this copy never saw is told to start again.
    /// </summary>
    private Kivi.Protocol.StoreLineage BeginEpoch(SqliteConnection connection)
    {
        bool recorded = true;
        try
        {
            using var tx = connection.BeginTransaction();
            using var cmd = Command(connection, SqliteSql.BeginEpoch);
            cmd.Transaction = tx;
            cmd.Parameters.AddWithValue("$keep", Kivi.Protocol.StoreLineage.MaxEpochs);
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 13)
        {
            // A full disk must not keep the store from serving reads. An epoch kept in memory only is safe: a
            // follower that took it is merely told to start again after the next restart.
            recorded = false;
        }
        string id = ((long)Scalar(connection, SqliteSql.ReadStoreId)!).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        var history = new List<Kivi.Protocol.StoreEpoch>();
        using (var cmd = Command(connection, SqliteSql.ReadHistory))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) history.Add(new(r.GetInt64(0), r.GetInt64(1)));
        if (!recorded) history.Add(new(Random.Shared.NextInt64(), Volatile.Read(ref _head)));
        return new Kivi.Protocol.StoreLineage(id, history);
    }

    private static void Migrate(SqliteConnection connection)
    {
        Exec(connection, SqliteSql.CreateVersionTable);
        long current = (long)Scalar(connection, SqliteSql.ReadSchemaVersion)!;
        for (long v = current; v < SqliteSql.Migrations.Length; v++)
        {
            using var tx = connection.BeginTransaction();
            using (var cmd = Command(connection, SqliteSql.Migrations[v])) { cmd.Transaction = tx; cmd.ExecuteNonQuery(); }
            using (var cmd = Command(connection, SqliteSql.WriteSchemaVersion))
            {
                cmd.Transaction = tx;
                cmd.Parameters.AddWithValue("$v", v + 1);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    public ValueTask<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_accounts.ContainsKey(accountId));

    public ValueTask<IReadOnlyList<string>> ListAccountsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(_accounts.Keys.Order(StringComparer.Ordinal).ToArray());

    public ValueTask<KvNamespace?> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_namespaces.TryGetValue(namespaceId, out var ns) && ns.AccountId == accountId ? ns : null);

    public ValueTask<KvToken?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_tokensByHash.GetValueOrDefault(Convert.ToHexString(hash)));

    public ValueTask<IReadOnlyList<KvToken>> ListTokensAsync(string accountId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<KvToken>>(_tokensByHash.Values.Where(t => t.AccountId == accountId).OrderBy(t => t.IssuedOn).ThenBy(t => t.Id, StringComparer.Ordinal).ToArray());

    public ValueTask<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_namespaces.GetValueOrDefault(namespaceId));

    public ValueTask<NamespacePage> ListNamespacesAsync(string accountId, NamespaceOrder order, bool descending, int skip, int take, CancellationToken cancellationToken)
    {
        var all = _namespaces.Values.Where(n => n.AccountId == accountId).ToList();
        return ValueTask.FromResult(CatalogRules.Page(all, order, descending, skip, take));
    }

    private int _disposed;

    /// <summary>Drains queued writes, waits for their fsync, and closes the store. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Complete();
        if (_writerLoop is not null) await _writerLoop;
        if (_syncerLoop is not null) await _syncerLoop;
        DisposeWriterStatements();
        _writer?.Dispose();
        _readers.Dispose();
        _wal?.Dispose();
    }

    internal static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    internal static void Exec(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        return command.ExecuteScalar();
    }
}
