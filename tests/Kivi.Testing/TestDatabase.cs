using Npgsql;

namespace Kivi.Testing;

/// <summary>
/// A fresh, empty schema on the real PostgreSQL that ./test.sh starts (its connection string in
/// <c>KIVI_TEST_POSTGRES</c>), dropped afterwards. Without that server the tests fail; they never skip.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _schema;

    private TestDatabase(string schema, string connectionString)
    {
        _schema = schema;
        ConnectionString = connectionString;
    }

    /// <summary>Connects to the test schema (its tables are created there by the engine).</summary>
    public string ConnectionString { get; }

    public static string Server => Environment.GetEnvironmentVariable("KIVI_TEST_POSTGRES") is { Length: > 0 } cs
        ? cs
        : throw new InvalidOperationException("KIVI_TEST_POSTGRES is not set: run ./test.sh, which starts a PostgreSQL on a loopback port and sets it (Host=127.0.0.1;Port=…;Username=postgres).");

    public static async Task<TestDatabase> CreateAsync()
    {
        string schema = "kivi_t" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema};", connection);
            await create.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(Server) { SearchPath = schema, Pooling = true };
        return new TestDatabase(schema, builder.ConnectionString);
    }

    /// <summary>The same schema reached through another address (a <see cref="TcpGate"/>).</summary>
    public string Through(int port) => new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = port, Timeout = 3 }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA {_schema} CASCADE;", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
