using Kivi.Core.Storage;
using Kivi.Storage.Conformance;

namespace Kivi.Storage.Sqlite.Tests;

/// <summary>The conformance suite against a real SQLite file in a temporary folder.</summary>
public sealed class SqliteConformanceTests : KvEngineConformance
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kivi-sqlite-").FullName;

    protected override async Task<IKvEngine> CreateEngineAsync()
    {
        var engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = Path.Combine(_folder, "kivi.db") });
        await engine.InitializeAsync(CancellationToken.None);
        return engine;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
