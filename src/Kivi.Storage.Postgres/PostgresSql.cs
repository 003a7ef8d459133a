namespace Kivi.Storage.Postgres;

/// <summary>
/// All SQL text of the engine, in one place. Only what PostgreSQL-compatible distributed engines also
/// speak: plain tables, row locks (<c>FOR UPDATE</c>), <c>ON CONFLICT</c>, <c>unnest</c> of arrays, partial
/// indexes. LISTEN/NOTIFY is used when the server has it and is never required.
/// </summary>
internal static class PostgresSql
{
    public const string CreateSchemaTable = """
        CREATE TABLE IF NOT EXISTS kivi_schema (id integer PRIMARY KEY, version integer NOT NULL);
        INSERT INTO kivi_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
        """;

    /// <summary>Taken by the migrating process: a second origin starting at the same moment waits here, then finds the schema current.</summary>
    public const string LockSchema = "SELECT version FROM kivi_schema WHERE id = 1 FOR UPDATE;";
    public const string WriteSchemaVersion = "UPDATE kivi_schema SET version = $1 WHERE id = 1;";

    /// <summary>Ordered migrations; index + 1 is the schema version each produces. Never edit one that has shipped.</summary>
    public static readonly string[] Migrations =
    [
        // 1. kivi_head is the store's one serialisation point: every write transaction locks its row first,
        // takes its versions from it and holds it until COMMIT, so versions are dense and in commit order.
        // catalog counts changes to accounts, namespaces and tokens, so each origin knows when its copy is old.
        """
        CREATE TABLE kivi_head (
            id integer PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL,
            catalog bigint NOT NULL);
        INSERT INTO kivi_head (id, version, catalog) VALUES (1, 0, 0);
        CREATE TABLE kivi_accounts (id text PRIMARY KEY, name text NOT NULL);
        CREATE TABLE kivi_namespaces (
            handle bigint PRIMARY KEY,
            id text NOT NULL UNIQUE,
            account_id text NOT NULL,
            title text NOT NULL,
            UNIQUE (account_id, title));
        CREATE TABLE kivi_entries (
            ns bigint NOT NULL,
            key bytea NOT NULL,
            metadata text,
            expiration bigint,
            version bigint NOT NULL,
            value bytea NOT NULL,
            PRIMARY KEY (ns, key));
        CREATE INDEX kivi_entries_by_expiration ON kivi_entries (expiration) WHERE expiration IS NOT NULL;
        CREATE TABLE kivi_changes (
            version bigint PRIMARY KEY,
            account_id text NOT NULL,
            ns text NOT NULL,
            key bytea,
            kind smallint NOT NULL,
            expiration bigint);
        CREATE TABLE kivi_tokens (
            id text PRIMARY KEY,
            account_id text NOT NULL,
            name text NOT NULL,
            permission integer NOT NULL,
            namespaces text,
            issued_on bigint NOT NULL,
            hash bytea NOT NULL UNIQUE);
        """,
        // 2. The store's identity and history (see StoreLineage). Origins over one database share one history,
        // so an origin's start does not begin an epoch: only a database made anew (a different store) differs.
        """
        CREATE TABLE kivi_store (id integer PRIMARY KEY CHECK (id = 1), store_id text NOT NULL);
        INSERT INTO kivi_store (id, store_id) VALUES (1, substr(md5(random()::text || clock_timestamp()::text), 1, 16));
        CREATE TABLE kivi_history (seq bigserial PRIMARY KEY, epoch bigint NOT NULL, start_version bigint NOT NULL);
        INSERT INTO kivi_history (epoch, start_version) SELECT (random() * 9e18)::bigint, version FROM kivi_head;
        """,
        // 3. Workers KV's namespace jurisdiction, set at creation.
        "ALTER TABLE kivi_namespaces ADD COLUMN jurisdiction text;",
        // 4. Who made each change and when (the audit); usage by namespace and hour; storage per namespace, counted
        // once here from the rows and from then on kept by the writers as they write; the last report applied per reporter.
        """
        ALTER TABLE kivi_changes ADD COLUMN at bigint NOT NULL DEFAULT 0;
        ALTER TABLE kivi_changes ADD COLUMN token_id text;
        ALTER TABLE kivi_changes ADD COLUMN token_name text;
        CREATE TABLE kivi_storage (ns bigint PRIMARY KEY, keys bigint NOT NULL, bytes bigint NOT NULL);
        INSERT INTO kivi_storage (ns, keys, bytes)
            SELECT ns, count(*), sum(octet_length(key) + octet_length(value) + coalesce(octet_length(metadata), 0)) FROM kivi_entries GROUP BY ns;
        CREATE TABLE kivi_usage (
            account_id text NOT NULL,
            ns text NOT NULL,
            hour bigint NOT NULL,
            reads bigint NOT NULL DEFAULT 0,
            writes bigint NOT NULL DEFAULT 0,
            deletes bigint NOT NULL DEFAULT 0,
            lists bigint NOT NULL DEFAULT 0,
            read_bytes bigint NOT NULL DEFAULT 0,
            write_bytes bigint NOT NULL DEFAULT 0,
            keys bigint,
            bytes bigint,
            PRIMARY KEY (account_id, ns, hour));
        CREATE TABLE kivi_usage_reporters (reporter text PRIMARY KEY, sequence bigint NOT NULL);
        """,
    ];

    public const string ReadStoreId = "SELECT store_id FROM kivi_store WHERE id = 1;";
    public const string ReadHistory = "SELECT epoch, start_version FROM kivi_history ORDER BY seq DESC LIMIT 32;";

    public const string Channel = "kivi";
    public const string Listen = "LISTEN kivi;";
    public const string Notify = "SELECT pg_notify('kivi', '');";

    // ---- catalog ----
    public const string ReadHead = "SELECT version, catalog FROM kivi_head WHERE id = 1;";
    public const string LockHead = "SELECT version, catalog FROM kivi_head WHERE id = 1 FOR UPDATE;";
    public const string WriteHead = "UPDATE kivi_head SET version = $1, catalog = $2 WHERE id = 1;";
    public const string LoadAccounts = "SELECT id FROM kivi_accounts;";
    public const string LoadNamespaces = "SELECT handle, id, account_id, title, jurisdiction FROM kivi_namespaces;";
    public const string LoadTokens = "SELECT id, account_id, name, permission, namespaces, issued_on, hash FROM kivi_tokens;";
    public const string AccountExists = "SELECT 1 FROM kivi_accounts WHERE id = $1;";
    public const string ListAccounts = "SELECT id FROM kivi_accounts;";
    public const string FindNamespace = "SELECT handle, id, account_id, title, jurisdiction FROM kivi_namespaces WHERE id = $1;";
    public const string AccountNamespaces = "SELECT handle, id, account_id, title, jurisdiction FROM kivi_namespaces WHERE account_id = $1;";
    public const string FindToken = "SELECT id, account_id, name, permission, namespaces, issued_on, hash FROM kivi_tokens WHERE hash = $1;";
    public const string AccountTokens = "SELECT id, account_id, name, permission, namespaces, issued_on, hash FROM kivi_tokens WHERE account_id = $1;";

    // ---- reads ----
    /// <summary>Columns in the order a sequential reader takes them: the value last, streamed when large.</summary>
    public const string Get = """
        SELECT metadata, expiration, version, length(value), value FROM kivi_entries
        WHERE ns = $1 AND key = $2 AND (expiration IS NULL OR expiration > $3);
        """;
    public const string GetInfo = """
        SELECT metadata, expiration, version FROM kivi_entries
        WHERE ns = $1 AND key = $2 AND (expiration IS NULL OR expiration > $3);
        """;

    /// <summary>
    /// One text per shape of bound, so that every bound is an index range and a page reads only its own rows,
    /// whatever the plan cache does with parameters. $1 ns, $2 lower bound, $3 now, $4 limit, $5 upper bound.
    /// </summary>
    public static string List(bool lowerExclusive, bool upperBound) => (lowerExclusive, upperBound) switch
    {
        (false, false) => ListFrom,
        (false, true) => ListFromTo,
        (true, false) => ListAfter,
        (true, true) => ListAfterTo,
    };

    private const string ListColumns = "SELECT key, metadata, expiration, version FROM kivi_entries WHERE ns = $1 AND ";
    private const string ListTail = " AND (expiration IS NULL OR expiration > $3) ORDER BY key LIMIT $4;";
    private const string ListFrom = ListColumns + "key >= $2" + ListTail;
    private const string ListFromTo = ListColumns + "key >= $2 AND key < $5" + ListTail;
    private const string ListAfter = ListColumns + "key > $2" + ListTail;
    private const string ListAfterTo = ListColumns + "key > $2 AND key < $5" + ListTail;

    public const string ReadChanges = "SELECT version, account_id, ns, key, kind, expiration FROM kivi_changes WHERE version > $1 ORDER BY version LIMIT $2;";
    public const string OldestChange = "SELECT min(version) FROM kivi_changes;";
    public const string SnapshotHead = "SELECT version FROM kivi_head WHERE id = 1;";
    public const string SnapshotAccounts = "SELECT id, name FROM kivi_accounts ORDER BY id;";
    public const string SnapshotNamespaces = "SELECT handle, id, account_id, title, jurisdiction FROM kivi_namespaces WHERE account_id = $1 ORDER BY id;";
    public const string SnapshotEntries = """
        SELECT key, value, metadata, expiration, version FROM kivi_entries
        WHERE ns = $1 AND key > $2 AND (expiration IS NULL OR expiration > $3)
        ORDER BY key;
        """;

    // ---- writes ----
    /// <summary>Every put of a batch in one statement. A batch never names the same key twice in one of these.</summary>
    public const string UpsertMany = """
        INSERT INTO kivi_entries (ns, key, metadata, expiration, version, value)
        SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::bigint[], $5::bigint[], $6::bytea[])
        ON CONFLICT (ns, key) DO UPDATE SET metadata = excluded.metadata, expiration = excluded.expiration, version = excluded.version, value = excluded.value;
        """;
    public const string LogMany = """
        INSERT INTO kivi_changes (version, account_id, ns, key, kind, expiration, at, token_id, token_name)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::smallint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[]);
        """;

    // ---- usage and storage (written in the transaction of the writes they count) ----
    /// <summary>Sent just before <see cref="UpsertMany"/> with its keys and their new sizes: adds keys that are new and the change in bytes.</summary>
    public const string StoragePuts = """
        INSERT INTO kivi_storage (ns, keys, bytes)
        SELECT n.ns, count(*) - count(e.key), sum(n.size) - coalesce(sum(octet_length(e.key) + octet_length(e.value) + coalesce(octet_length(e.metadata), 0)), 0)
        FROM unnest($1::bigint[], $2::bytea[], $3::bigint[]) AS n(ns, key, size) LEFT JOIN kivi_entries e ON e.ns = n.ns AND e.key = n.key
        GROUP BY n.ns
        ON CONFLICT (ns) DO UPDATE SET keys = kivi_storage.keys + excluded.keys, bytes = kivi_storage.bytes + excluded.bytes;
        """;
    public const string AddStorage = """
        INSERT INTO kivi_storage (ns, keys, bytes) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
        ON CONFLICT (ns) DO UPDATE SET keys = kivi_storage.keys + excluded.keys, bytes = kivi_storage.bytes + excluded.bytes;
        """;
    public const string DropStorage = "DELETE FROM kivi_storage WHERE ns = $1;";
    public const string AddUsage = """
        INSERT INTO kivi_usage (account_id, ns, hour, reads, writes, deletes, lists, read_bytes, write_bytes, keys, bytes)
        SELECT u.a, u.ns, u.h, u.r, u.w, u.d, u.l, u.rb, u.wb, s.keys, s.bytes
        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
            AS u(a, ns, h, r, w, d, l, rb, wb, handle)
        LEFT JOIN kivi_storage s ON s.ns = u.handle
        ON CONFLICT (account_id, ns, hour) DO UPDATE SET reads = kivi_usage.reads + excluded.reads, writes = kivi_usage.writes + excluded.writes,
            deletes = kivi_usage.deletes + excluded.deletes, lists = kivi_usage.lists + excluded.lists,
            read_bytes = kivi_usage.read_bytes + excluded.read_bytes, write_bytes = kivi_usage.write_bytes + excluded.write_bytes,
            keys = coalesce(excluded.keys, kivi_usage.keys), bytes = coalesce(excluded.bytes, kivi_usage.bytes);
        """;
    public const string ReporterSequence = "SELECT sequence FROM kivi_usage_reporters WHERE reporter = $1;";
    public const string SetReporterSequence = "INSERT INTO kivi_usage_reporters (reporter, sequence) VALUES ($1, $2) ON CONFLICT (reporter) DO UPDATE SET sequence = excluded.sequence;";
    public const string ReadUsage = """
        SELECT ns, hour, reads, writes, deletes, lists, read_bytes, write_bytes, keys, bytes FROM kivi_usage
        WHERE account_id = $1 AND ($2::text IS NULL OR ns = $2) AND hour >= $3 AND hour < $4 ORDER BY hour, ns;
        """;
    public const string ReadStorage = """
        SELECT n.id, coalesce(s.keys, 0), coalesce(s.bytes, 0) FROM kivi_namespaces n LEFT JOIN kivi_storage s ON s.ns = n.handle
        WHERE n.account_id = $1 ORDER BY n.id;
        """;
    public const string ReadAudit = """
        SELECT version, key, kind, expiration, at, token_id, token_name FROM kivi_changes
        WHERE version < $1 AND account_id = $2 AND ns = $3 AND ($4::bytea IS NULL OR key = $4) AND at >= $5 AND at < $6
        ORDER BY version DESC LIMIT $7;
        """;
    public const string CurrentVersion = "SELECT version, expiration FROM kivi_entries WHERE ns = $1 AND key = $2;";
    public const string DeleteKeys = "DELETE FROM kivi_entries WHERE ns = $1 AND key = ANY($2) RETURNING key, octet_length(key) + octet_length(value) + coalesce(octet_length(metadata), 0);";
    public const string InsertAccount = "INSERT INTO kivi_accounts (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING;";
    public const string InsertNamespace = "INSERT INTO kivi_namespaces (handle, id, account_id, title, jurisdiction) VALUES ($1, $2, $3, $4, $5);";
    public const string RenameNamespace = "UPDATE kivi_namespaces SET title = $1 WHERE handle = $2;";
    public const string DeleteNamespaceEntries = "DELETE FROM kivi_entries WHERE ns = $1;";
    public const string DeleteNamespace = "DELETE FROM kivi_namespaces WHERE handle = $1;";
    public const string InsertToken = "INSERT INTO kivi_tokens (id, account_id, name, permission, namespaces, issued_on, hash) VALUES ($1, $2, $3, $4, $5, $6, $7);";
    public const string UpdateTokenHash = "UPDATE kivi_tokens SET hash = $1 WHERE id = $2 AND account_id = $3;";
    public const string DeleteToken = "DELETE FROM kivi_tokens WHERE id = $1 AND account_id = $2;";
    public const string FindExpired = """
        SELECT e.ns, e.key, e.expiration, octet_length(e.key) + octet_length(e.value) + coalesce(octet_length(e.metadata), 0) FROM kivi_entries e
        WHERE e.expiration IS NOT NULL AND e.expiration <= $1 LIMIT $2;
        """;
    public const string DeleteExpired = """
        DELETE FROM kivi_entries e USING unnest($1::bigint[], $2::bytea[]) AS d(ns, key)
        WHERE e.ns = d.ns AND e.key = d.key;
        """;
    public const string TrimChanges = "DELETE FROM kivi_changes WHERE version <= $1;";
}
