using Kivi.Core.Storage;
using Kivi.Storage.Conformance;

namespace Kivi.Storage.Postgres.Tests;

/// <summary>The conformance suite against a real PostgreSQL, in a schema of its own.</summary>
public sealed class PostgresConformanceTests : KvEngineConformance
{
    private TestDatabase? _database;

    protected override async Task<IKvEngine> CreateEngineAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var engine = new PostgresKvEngine(new PostgresKvOptions { ConnectionString = _database.ConnectionString });
        await engine.InitializeAsync(CancellationToken.None);
        return engine;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }
}
