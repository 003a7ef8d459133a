namespace Kivi.Storage.Postgres;

/// <summary>Settings of the PostgreSQL engine.</summary>
public sealed class PostgresKvOptions
{
    /// <summary>An Npgsql connection string (<c>Host=…;Port=…;Username=…;Password=…;Database=…</c>).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Most writes committed together in one transaction.</summary>
    public int MaxBatchWrites { get; init; } = 512;

    /// <summary>Most value bytes committed together in one transaction.</summary>
    public long MaxBatchBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Values up to this size are read into memory; larger ones are streamed from the connection.</summary>
    public int InlineValueBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// How often the engine reads the database's head, to learn of commits by other origins. With
    /// LISTEN/NOTIFY (PostgreSQL itself) a commit wakes it at once and this is only the safety net; on
    /// engines without it (CockroachDB, YugabyteDB) it bounds how late another origin's commit is seen.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a write keeps retrying while the database is unreachable before it fails with a clear error.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Tests only: runs after a batch's versions are taken and its rows written, before its COMMIT.</summary>
    internal Func<Task>? BeforeCommit { get; init; }
}
