using System.Threading.Channels;
using Kivi.Core.Access;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Npgsql;

namespace Kivi.Storage.Postgres;

/// <summary>
/// The scale-out engine. Any number of origin processes may open one database: every write transaction
/// first locks the single <c>kivi_head</c> row and holds it until COMMIT, so versions are dense and
/// follow commit order, and a reader of the change log can never see a version before every lower one is
/// visible. Within a process one writer loop commits whatever is queued in one transaction (group commit);
/// reads go to a connection pool. A follower learns of other origins' commits (LISTEN/NOTIFY when the
/// server has it, polling in any case) and keeps the head and the catalog current.
/// </summary>
public sealed partial class PostgresKvEngine : IKvEngine, IKvMaintenance
{
    private readonly PostgresKvOptions _options;
    private readonly NpgsqlDataSource _data;
    private readonly string _where;
    private readonly CancellationTokenSource _stopping = new();
    private Catalog _catalog = Catalog.Empty;
    private readonly DurableHead _head = new(); // every commit is durable when it returns: the head is the durable head
    private Task? _follower;
    private Task? _writerLoop;
    private TaskCompletionSource _poked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _notify = true;

    public PostgresKvEngine(PostgresKvOptions options)
    {
        _options = options;
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "kivi";
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
        _where = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        _data = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    /// <summary>Set when the server would acknowledge commits it has not made durable (fsync or synchronous_commit off).</summary>
    public string? DurabilityWarning { get; private set; }

    /// <summary>host:port/database, for logs and errors (never the password).</summary>
    public string Location => _where;

    public string Description => $"PostgreSQL at {_where}; reads go to the database (put edges in front to cache them)";

    public string? Warning => DurabilityWarning;

    /// <summary>Both heads are the same here: a PostgreSQL commit returns once its WAL is flushed.</summary>
    public long HeadVersion => _head.Value;

    public long DurableHeadVersion => _head.Value;

    public Task WaitForDurableAsync(long version, CancellationToken cancellationToken)
    {
        if (DurableHeadVersion > version) return Task.CompletedTask;
        Poke(); // another origin may have committed it: read the head now rather than at the next poll
        return _head.WaitPastAsync(version, cancellationToken);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await Guard(async () =>
        {
            await using var connection = await _data.OpenConnectionAsync(cancellationToken);
            await MigrateAsync(connection, cancellationToken);
            DurabilityWarning = await CheckDurabilityAsync(connection, cancellationToken);
            _notify = await CanNotifyAsync(connection, cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            var (head, catalog) = await ReadHeadAsync(connection, tx, PostgresSql.ReadHead, cancellationToken);
            _head.Advance(head);
            _catalog = await Catalog.LoadAsync(connection, tx, catalog, cancellationToken);
            Lineage = await ReadLineageAsync(connection, tx, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return 0;
        }, "open", cancellationToken);
        _follower = Task.Run(() => RunFollowerAsync(_stopping.Token), CancellationToken.None);
        _writerLoop = Task.Run(RunWriterAsync, CancellationToken.None);
    }

    public Kivi.Protocol.StoreLineage? Lineage { get; private set; }

    private static async Task<Kivi.Protocol.StoreLineage> ReadLineageAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        string id;
        await using (var read = new NpgsqlCommand(PostgresSql.ReadStoreId, connection, tx))
            id = (string)(await read.ExecuteScalarAsync(cancellationToken))!;
        var history = new List<Kivi.Protocol.StoreEpoch>();
        await using (var read = new NpgsqlCommand(PostgresSql.ReadHistory, connection, tx))
        await using (var r = await read.ExecuteReaderAsync(cancellationToken))
            while (await r.ReadAsync(cancellationToken)) history.Add(new(r.GetInt64(0), r.GetInt64(1)));
        history.Reverse();
        return new Kivi.Protocol.StoreLineage(id, history);
    }

    private static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await using var create = new NpgsqlCommand(PostgresSql.CreateSchemaTable, connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
                break;
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject)
            {
                // Two origins created the table at the same moment; the other one won, which is fine.
            }
        }
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        int current;
        await using (var lockSchema = new NpgsqlCommand(PostgresSql.LockSchema, connection, tx))
            current = (int)(await lockSchema.ExecuteScalarAsync(cancellationToken))!;
        if (current > PostgresSql.Migrations.Length)
            throw new InvalidOperationException($"The database's Kivi schema is version {current}, newer than this Kivi knows ({PostgresSql.Migrations.Length}): upgrade Kivi before starting it against this database.");
        for (int v = current; v < PostgresSql.Migrations.Length; v++)
        {
            await using (var migrate = new NpgsqlCommand(PostgresSql.Migrations[v], connection, tx))
                await migrate.ExecuteNonQueryAsync(cancellationToken);
            await using var write = new NpgsqlCommand(PostgresSql.WriteSchemaVersion, connection, tx) { Parameters = { new() { Value = v + 1 } } };
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Whether the server has NOTIFY; engines without it are followed by polling alone.</summary>
    private static async Task<bool> CanNotifyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await using var notify = new NpgsqlCommand(PostgresSql.Notify, connection);
            await notify.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException e) when (!e.IsTransient)
        {
            return false;
        }
    }

    private static async Task<string?> CheckDurabilityAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var off = new List<string>();
        foreach (string setting in new[] { "fsync", "synchronous_commit" })
        {
            try
            {
                await using var show = new NpgsqlCommand($"SHOW {setting};", connection);
                if (await show.ExecuteScalarAsync(cancellationToken) is "off") off.Add(setting);
            }
            catch (PostgresException)
            {
                // not every PostgreSQL-compatible engine has the setting; those manage durability themselves
            }
        }
        return off.Count == 0 ? null : $"PostgreSQL has {string.Join(" and ", off)} off: acknowledged writes can be lost if its machine fails.";
    }

    internal static async Task<(long Head, long Catalog)> ReadHeadAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken)) throw new InvalidOperationException("The kivi_head row is missing: the database was changed by hand.");
        return (r.GetInt64(0), r.GetInt64(1));
    }

    // ---- following other origins ----

    private void Poke() => Volatile.Read(ref _poked).TrySetResult();

    /// <summary>
    /// Learns of commits by other origins: one listening connection wakes it on each commit (where the
    /// server has LISTEN), and it reads the head at least every <see cref="PostgresKvOptions.PollInterval"/>
    /// and whenever a reader waits for a version it has not seen.
    /// </summary>
    private async Task RunFollowerAsync(CancellationToken ct)
    {
        NpgsqlConnection? listener = null;
        Task? notified = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (_notify && listener is null)
                {
                    try
                    {
                        listener = await _data.OpenConnectionAsync(ct);
                        await using (var listen = new NpgsqlCommand(PostgresSql.Listen, listener)) await listen.ExecuteNonQueryAsync(ct);
                        notified = listener.WaitAsync(ct);
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.FeatureNotSupported)
                    {
                        _notify = false; // e.g. CockroachDB: polling alone
                        await DropAsync(listener);
                        listener = null;
                    }
                    catch (Exception) when (!ct.IsCancellationRequested)
                    {
                        await DropAsync(listener);
                        listener = null; // unreachable for now: poll, and listen again next round
                    }
                }
                var poked = Interlocked.Exchange(ref _poked, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                try
                {
                    await RefreshAsync(ct);
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // the database is unreachable; reads and writes report it themselves, and the next round tries again
                }
                var delay = Task.Delay(_options.PollInterval, ct);
                var woke = await Task.WhenAny(notified ?? delay, poked, delay);
                if (woke == notified)
                {
                    if (notified.IsCompletedSuccessfully) notified = listener!.WaitAsync(ct);
                    else
                    {
                        await DropAsync(listener);
                        listener = null;
                        notified = null;
                    }
                }
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // stopping: whatever was in flight is moot
        }
        finally
        {
            await DropAsync(listener);
        }
    }

    private static async ValueTask DropAsync(NpgsqlConnection? connection)
    {
        if (connection is null) return;
        try { await connection.DisposeAsync(); } catch (Exception) { /* already broken */ }
    }

    /// <summary>Reads the head; advances this origin's view of it, and reloads the catalog when another origin changed it.</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        await using var connection = await _data.OpenConnectionAsync(ct);
        var (head, catalog) = await ReadHeadAsync(connection, null, PostgresSql.ReadHead, ct);
        if (catalog > Volatile.Read(ref _catalog).Version)
        {
            await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
            (head, catalog) = await ReadHeadAsync(connection, tx, PostgresSql.ReadHead, ct);
            Publish(await Catalog.LoadAsync(connection, tx, catalog, ct));
            await tx.CommitAsync(ct);
        }
        AdvanceHead(head);
    }

    /// <summary>Installs a catalog unless a newer one is already published.</summary>
    private void Publish(Catalog catalog)
    {
        while (true)
        {
            var seen = Volatile.Read(ref _catalog);
            if (seen.Version >= catalog.Version || Interlocked.CompareExchange(ref _catalog, catalog, seen) == seen) return;
        }
    }

    private void AdvanceHead(long head) => _head.Advance(head);

    // ---- catalog reads: the copy when it knows, the database when it does not (another origin may have just added it) ----

    public ValueTask<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken) =>
        Volatile.Read(ref _catalog).Accounts.Contains(accountId)
            ? ValueTask.FromResult(true)
            : QueryAsync(async (c, ct) =>
            {
                await using var cmd = new NpgsqlCommand(PostgresSql.AccountExists, c) { Parameters = { new() { Value = accountId } } };
                return await cmd.ExecuteScalarAsync(ct) is not null;
            }, cancellationToken);

    public ValueTask<IReadOnlyList<string>> ListAccountsAsync(CancellationToken cancellationToken) =>
        QueryAsync<IReadOnlyList<string>>(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(PostgresSql.ListAccounts, c);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var ids = new List<string>();
            while (await r.ReadAsync(ct)) ids.Add(r.GetString(0));
            return ids.Order(StringComparer.Ordinal).ToArray();
        }, cancellationToken);

    public ValueTask<KvToken?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken) =>
        Volatile.Read(ref _catalog).TokensByHash.TryGetValue(Convert.ToHexString(hash), out var token)
            ? ValueTask.FromResult<KvToken?>(token)
            : QueryAsync(async (c, ct) =>
            {
                await using var cmd = new NpgsqlCommand(PostgresSql.FindToken, c) { Parameters = { new() { Value = hash } } };
                await using var r = await cmd.ExecuteReaderAsync(ct);
                return await r.ReadAsync(ct) ? Catalog.ReadToken(r) : null;
            }, cancellationToken);

    /// <summary>From the database: a listing must show what other origins did a moment ago.</summary>
    public ValueTask<IReadOnlyList<KvToken>> ListTokensAsync(string accountId, CancellationToken cancellationToken) =>
        QueryAsync<IReadOnlyList<KvToken>>(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(PostgresSql.AccountTokens, c) { Parameters = { new() { Value = accountId } } };
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var tokens = new List<KvToken>();
            while (await r.ReadAsync(ct)) tokens.Add(Catalog.ReadToken(r));
            return tokens.OrderBy(t => t.IssuedOn).ThenBy(t => t.Id, StringComparer.Ordinal).ToArray();
        }, cancellationToken);

    public async ValueTask<KvNamespace?> GetNamespaceAsync(string accountId, string namespaceId, CancellationToken cancellationToken) =>
        await FindNamespaceAsync(namespaceId, cancellationToken) is { } ns && ns.AccountId == accountId ? ns : null;

    public ValueTask<KvNamespace?> FindNamespaceAsync(string namespaceId, CancellationToken cancellationToken) =>
        Volatile.Read(ref _catalog).Namespaces.TryGetValue(namespaceId, out var ns)
            ? ValueTask.FromResult<KvNamespace?>(ns)
            : QueryAsync(async (c, ct) =>
            {
                await using var cmd = new NpgsqlCommand(PostgresSql.FindNamespace, c) { Parameters = { new() { Value = namespaceId } } };
                await using var r = await cmd.ExecuteReaderAsync(ct);
                return await r.ReadAsync(ct) ? Catalog.ReadNamespace(r) : null;
            }, cancellationToken);

    public ValueTask<NamespacePage> ListNamespacesAsync(string accountId, NamespaceOrder order, bool descending, int skip, int take, CancellationToken cancellationToken) =>
        QueryAsync(async (c, ct) =>
        {
            await using var cmd = new NpgsqlCommand(PostgresSql.AccountNamespaces, c) { Parameters = { new() { Value = accountId } } };
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var all = new List<KvNamespace>();
            while (await r.ReadAsync(ct)) all.Add(Catalog.ReadNamespace(r));
            return CatalogRules.Page(all, order, descending, skip, take); // sorted here, not by the database's collation
        }, cancellationToken);

    // ---- connections and their failures ----

    /// <summary>
    /// Runs a read on a pooled connection. A read changes nothing, so it is retried (twice, briefly) after a
    /// broken connection or a transient error; if the database stays unreachable the caller gets a 503 that says so.
    /// </summary>
    internal ValueTask<T> QueryAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        RetryReadAsync(async () =>
        {
            await using var connection = await _data.OpenConnectionAsync(cancellationToken);
            return await read(connection, cancellationToken);
        }, cancellationToken);

    /// <summary>The retry policy of every read: twice more after a transient failure, then a 503.</summary>
    private async ValueTask<T> RetryReadAsync<T>(Func<Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (int tried = 0; ; tried++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                _data.Clear(); // the pool may hold more connections broken the same way
                if (tried >= 2) throw Unavailable(e, "read");
                await Task.Delay(50 * (tried + 1), cancellationToken);
            }
        }
    }

    private async Task<T> Guard<T>(Func<Task<T>> action, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(e, what);
        }
    }

    /// <summary>A broken or refused connection, a timeout, or an error PostgreSQL marks as worth retrying (serialisation, shutdown).</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    private KvException Unavailable(Exception e, string what) =>
        new(503, KvErrorCode.UpstreamUnavailable, $"The PostgreSQL store at {_where} could not be reached to {what}: {e.Message}", e);

    private int _disposed;

    /// <summary>Drains queued writes, stops following, and closes every connection. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Complete();
        if (_writerLoop is not null) await _writerLoop;
        await _stopping.CancelAsync();
        if (_follower is not null) await _follower;
        await _data.DisposeAsync();
        _stopping.Dispose();
    }
}
