namespace Kivi.Storage.Sqlite;

/// <summary>All SQL text of the engine, in one place.</summary>
internal static class SqliteSql
{
    public const string Pragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA busy_timeout = 10000;
        PRAGMA foreign_keys = OFF;
        """;

    public const string CreateVersionTable = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);";
    public const string ReadSchemaVersion = "SELECT coalesce(max(version), 0) FROM schema_version;";
    public const string WriteSchemaVersion = "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ($v);";

    /// <summary>Ordered migrations; index + 1 is the schema version each produces. Never edit one that has shipped.</summary>
    public static readonly string[] Migrations =
    [
        // 1: the value is the last column so that reading metadata, expiration or version never touches its overflow pages.
        """
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO meta (name, value) VALUES ('head_version', 0);
        CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE namespaces (
            handle INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            title TEXT NOT NULL,
            UNIQUE (account_id, title));
        CREATE TABLE entries (
            rowid INTEGER PRIMARY KEY,
            ns INTEGER NOT NULL,
            key BLOB NOT NULL,
            metadata TEXT,
            expiration INTEGER,
            version INTEGER NOT NULL,
            value BLOB NOT NULL);
        CREATE UNIQUE INDEX entries_by_key ON entries (ns, key);
        CREATE INDEX entries_by_expiration ON entries (expiration) WHERE expiration IS NOT NULL;
        CREATE TABLE changes (
            version INTEGER PRIMARY KEY,
            ns TEXT NOT NULL,
            key BLOB,
            kind INTEGER NOT NULL,
            expiration INTEGER);
        """,
        // 2: scoped tokens, stored by the SHA-256 of their value.
        """
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            name TEXT NOT NULL,
            permission INTEGER NOT NULL,
            namespaces TEXT,
            issued_on INTEGER NOT NULL,
            hash BLOB NOT NULL UNIQUE) WITHOUT ROWID;
        """,
        // 3: the account of each change, so a feed can be filtered by account even after a namespace is dropped.
        """
        ALTER TABLE changes ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
        UPDATE changes SET account_id = coalesce((SELECT account_id FROM namespaces WHERE namespaces.id = changes.ns), '');
        """,
        // 4: the store's identity and the epochs of its history (see StoreLineage): each open starts an epoch.
        """
        INSERT INTO meta (name, value) VALUES ('store_id', random());
        CREATE TABLE history (seq INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, start_version INTEGER NOT NULL);
        """,
        // 5: Workers KV's namespace jurisdiction, set at creation.
        "ALTER TABLE namespaces ADD COLUMN jurisdiction TEXT;",
        // 6: who made each change and when (the audit); usage by namespace and hour; storage per namespace, counted
        // once here from the rows and from then on kept by the writer as it writes; the last report applied per reporter.
        """
        ALTER TABLE changes ADD COLUMN at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE changes ADD COLUMN token_id TEXT;
        ALTER TABLE changes ADD COLUMN token_name TEXT;
        CREATE TABLE storage (ns INTEGER PRIMARY KEY, keys INTEGER NOT NULL, bytes INTEGER NOT NULL);
        INSERT INTO storage (ns, keys, bytes)
            SELECT ns, count(*), sum(length(key) + length(value) + coalesce(length(CAST(metadata AS BLOB)), 0)) FROM entries GROUP BY ns;
        CREATE TABLE usage (
            account_id TEXT NOT NULL,
            ns TEXT NOT NULL,
            hour INTEGER NOT NULL,
            reads INTEGER NOT NULL DEFAULT 0,
            writes INTEGER NOT NULL DEFAULT 0,
            deletes INTEGER NOT NULL DEFAULT 0,
            lists INTEGER NOT NULL DEFAULT 0,
            read_bytes INTEGER NOT NULL DEFAULT 0,
            write_bytes INTEGER NOT NULL DEFAULT 0,
            keys INTEGER,
            bytes INTEGER,
            PRIMARY KEY (account_id, ns, hour)) WITHOUT ROWID;
        CREATE TABLE usage_reporters (reporter TEXT PRIMARY KEY, sequence INTEGER NOT NULL) WITHOUT ROWID;
        """,
    ];

    /// <summary>A new epoch at the head, keeping the newest StoreLineage.MaxEpochs.</summary>
    public const string BeginEpoch = """
        INSERT INTO history (epoch, start_version) VALUES (random(), (SELECT value FROM meta WHERE name = 'head_version'));
        DELETE FROM history WHERE seq <= (SELECT max(seq) FROM history) - $keep;
        """;
    public const string ReadStoreId = "SELECT value FROM meta WHERE name = 'store_id';";
    public const string ReadHistory = "SELECT epoch, start_version FROM history ORDER BY seq;";

    public const string ReadHead = "SELECT value FROM meta WHERE name = 'head_version';";
    public const string WriteHead = "UPDATE meta SET value = $v WHERE name = 'head_version';";
    public const string LoadAccounts = "SELECT id FROM accounts;";
    public const string LoadTokens = "SELECT id, account_id, name, permission, namespaces, issued_on, hash FROM tokens;";
    public const string InsertToken = "INSERT INTO tokens (id, account_id, name, permission, namespaces, issued_on, hash) VALUES ($id, $a, $name, $p, $ns, $issued, $hash);";
    public const string TokenHash = "SELECT hash FROM tokens WHERE id = $id AND account_id = $a;";
    public const string UpdateTokenHash = "UPDATE tokens SET hash = $hash WHERE id = $id AND account_id = $a;";
    public const string DeleteToken = "DELETE FROM tokens WHERE id = $id AND account_id = $a;";
    public const string LoadNamespaces = "SELECT handle, id, account_id, title, jurisdiction FROM namespaces;";

    // ---- reads ----
    public const string Get = """
        SELECT rowid, metadata, expiration, version, length(value), CASE WHEN length(value) <= $inline THEN value END
        FROM entries WHERE ns = $ns AND key = $key AND (expiration IS NULL OR expiration > $now);
        """;
    public const string GetInfo = """
        SELECT metadata, expiration, version FROM entries
        WHERE ns = $ns AND key = $key AND (expiration IS NULL OR expiration > $now);
        """;
    /// <summary>
    /// One text per shape of bound, so that both bounds are index range terms: with "$hi IS NULL OR key &lt; $hi"
    /// the planner bounds only the start, and a page asking for one row past a prefix's last key would scan
    /// to the end of the namespace (measured: 159 ms a page at 1,000,000 keys). $lo is the prefix, or the
    /// cursor's key when it lies past the prefix (then exclusive); $hi ends the prefix.
    /// </summary>
    public static string List(bool lowerExclusive, bool upperBound) =>
        "SELECT key, metadata, expiration, version FROM entries WHERE ns = $ns AND "
        + (lowerExclusive ? "key > $lo" : "key >= $lo")
        + (upperBound ? " AND key < $hi" : "")
        + " AND (expiration IS NULL OR expiration > $now) ORDER BY key LIMIT $limit;";

    public const string ReadChanges = "SELECT version, ns, key, kind, expiration, account_id FROM changes WHERE version > $after ORDER BY version LIMIT $limit;";
    public const string OldestChange = "SELECT min(version) FROM changes;";
    public const string SnapshotAccounts = "SELECT id, name FROM accounts ORDER BY id;";
    public const string SnapshotNamespaces = "SELECT handle, id, account_id, title, jurisdiction FROM namespaces WHERE account_id = $a ORDER BY id;";
    public const string SnapshotEntries = """
        SELECT key, value, metadata, expiration, version FROM entries
        WHERE ns = $ns AND ($after IS NULL OR key > $after) AND (expiration IS NULL OR expiration > $now)
        ORDER BY key;
        """;
    public const string Begin = "BEGIN;";
    public const string Commit = "COMMIT;";

    // ---- writes ----
    public const string BeginImmediate = "BEGIN IMMEDIATE;";
    public const string Rollback = "ROLLBACK;";
    public const string LoadNamespaceHandles = "SELECT handle FROM namespaces;";
    public const string Upsert = """
        INSERT INTO entries (ns, key, metadata, expiration, version, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT (ns, key) DO UPDATE SET metadata = excluded.metadata, expiration = excluded.expiration, version = excluded.version, value = excluded.value;
        """;
    public const string UpsertZeroBlob = """
        INSERT INTO entries (ns, key, metadata, expiration, version, value) VALUES ($ns, $key, $metadata, $expiration, $version, zeroblob($length))
        ON CONFLICT (ns, key) DO UPDATE SET metadata = excluded.metadata, expiration = excluded.expiration, version = excluded.version, value = excluded.value
        RETURNING rowid;
        """;
    public const string Delete = "DELETE FROM entries WHERE ns = ?1 AND key = ?2;";
    public const string CurrentVersion = "SELECT version, expiration FROM entries WHERE ns = $ns AND key = $key;";
    public const string LogChange = "INSERT INTO changes (version, ns, key, kind, expiration, account_id, at, token_id, token_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);";

    // ---- usage and storage (written by the writer, in the transaction of the writes they count) ----
    /// <summary>An entry's size as storage counts it; length() of a column reads no overflow page.</summary>
    public const string EntrySize = "SELECT length(key) + length(value) + coalesce(length(CAST(metadata AS BLOB)), 0) FROM entries WHERE ns = ?1 AND key = ?2;";
    public const string AddStorage = """
        INSERT INTO storage (ns, keys, bytes) VALUES (?1, ?2, ?3)
        ON CONFLICT (ns) DO UPDATE SET keys = keys + excluded.keys, bytes = bytes + excluded.bytes;
        """;
    public const string DropStorage = "DELETE FROM storage WHERE ns = $h;";
    public const string AddUsage = """
        INSERT INTO usage (account_id, ns, hour, reads, writes, deletes, lists, read_bytes, write_bytes, keys, bytes)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT keys FROM storage WHERE ns = ?10), (SELECT bytes FROM storage WHERE ns = ?10))
        ON CONFLICT (account_id, ns, hour) DO UPDATE SET reads = reads + excluded.reads, writes = writes + excluded.writes,
            deletes = deletes + excluded.deletes, lists = lists + excluded.lists, read_bytes = read_bytes + excluded.read_bytes,
            write_bytes = write_bytes + excluded.write_bytes, keys = coalesce(excluded.keys, keys), bytes = coalesce(excluded.bytes, bytes);
        """;
    public const string ReporterSequence = "SELECT sequence FROM usage_reporters WHERE reporter = $r;";
    public const string SetReporterSequence = "INSERT INTO usage_reporters (reporter, sequence) VALUES ($r, $s) ON CONFLICT (reporter) DO UPDATE SET sequence = excluded.sequence;";
    public const string ReadUsage = """
        SELECT ns, hour, reads, writes, deletes, lists, read_bytes, write_bytes, keys, bytes FROM usage
        WHERE account_id = $a AND ($ns IS NULL OR ns = $ns) AND hour >= $since AND hour < $until ORDER BY hour, ns;
        """;
    public const string ReadStorage = """
        SELECT n.id, coalesce(s.keys, 0), coalesce(s.bytes, 0) FROM namespaces n LEFT JOIN storage s ON s.ns = n.handle
        WHERE n.account_id = $a ORDER BY n.id;
        """;
    /// <summary>Newest first by the log's key; the time and key are filters (the log is bounded by its retention).</summary>
    public const string ReadAudit = """
        SELECT version, key, kind, expiration, at, token_id, token_name FROM changes
        WHERE version < $before AND account_id = $a AND ns = $ns AND ($key IS NULL OR key = $key) AND at >= $since AND at < $until
        ORDER BY version DESC LIMIT $limit;
        """;
    public const string InsertAccount = "INSERT OR IGNORE INTO accounts (id, name) VALUES ($id, $name);";
    public const string CountNamespaces = "SELECT count(*) FROM namespaces WHERE account_id = $a;";
    public const string TitleTaken = "SELECT 1 FROM namespaces WHERE account_id = $a AND title = $t AND id <> $id;";
    public const string NamespaceIdTaken = "SELECT 1 FROM namespaces WHERE id = $id;";
    public const string FindNamespace = "SELECT handle FROM namespaces WHERE account_id = $a AND id = $id;";
    public const string InsertNamespace = "INSERT INTO namespaces (id, account_id, title, jurisdiction) VALUES ($id, $a, $t, $j) RETURNING handle;";
    public const string RenameNamespace = "UPDATE namespaces SET title = $t WHERE handle = $h;";
    public const string DeleteNamespace = "DELETE FROM namespaces WHERE handle = $h;";
    public const string DeleteNamespaceEntries = "DELETE FROM entries WHERE ns = $h;";
    public const string FindExpired = """
        SELECT e.rowid, n.id, e.key, e.expiration, n.account_id, e.ns, length(e.key) + length(e.value) + coalesce(length(CAST(e.metadata AS BLOB)), 0)
        FROM entries e JOIN namespaces n ON n.handle = e.ns
        WHERE e.expiration IS NOT NULL AND e.expiration <= $now LIMIT $max;
        """;
    public const string DeleteRow = "DELETE FROM entries WHERE rowid = $r;";
    public const string TrimChanges = "DELETE FROM changes WHERE version <= $v;";
}
