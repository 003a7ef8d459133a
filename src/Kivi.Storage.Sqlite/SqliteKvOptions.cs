namespace Kivi.Storage.Sqlite;

/// <summary>Settings of the SQLite engine.</summary>
public sealed class SqliteKvOptions
{
    /// <summary>Path of the database file; created with its folder if missing.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>Most writes committed together in one transaction and one fsync.</summary>
    public int MaxBatchWrites { get; init; } = 512;

    /// <summary>Most value bytes committed together in one transaction.</summary>
    public long MaxBatchBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Values up to this size are read into memory; larger ones are streamed from the file.</summary>
    public int InlineValueBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// WAL pages between checkpoints. Each checkpoint copies pages into the database file and fsyncs it on
    /// the writer; a larger interval coalesces rewrites of hot pages (docs/benchmarks.md has the measurement).
    /// </summary>
    public int CheckpointPages { get; init; } = 1000;

    /// <summary>The check run on the file before it is opened for use: SQLite's quick_check by default.</summary>
    public IntegrityCheck IntegrityCheck { get; init; } = IntegrityCheck.Quick;

    /// <summary>False only for throwaway tests: skips fsync (synchronous=OFF).</summary>
    public bool Durable { get; init; } = true;
}
