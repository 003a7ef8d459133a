using System.Text;
using Kivi.Core;
using Kivi.Core.Storage;

namespace Kivi.Storage.Postgres.Tests;

/// <summary>Several engines over one test schema, as several origin processes over one database would be.</summary>
internal sealed class Origins : IAsyncDisposable
{
    public const string Account = "0123456789abcdef0123456789abcdef";
    private readonly List<PostgresKvEngine> _engines = [];

    private Origins(TestDatabase database) => Database = database;

    public TestDatabase Database { get; }
    public IReadOnlyList<PostgresKvEngine> Engines => _engines;
    public PostgresKvEngine this[int i] => _engines[i];

    public static async Task<Origins> StartAsync(int count, Func<int, string, PostgresKvOptions>? options = null)
    {
        var origins = new Origins(await TestDatabase.CreateAsync());
        // Opened at once: the second waits on the first's migration and then finds the schema current.
        var engines = Enumerable.Range(0, count)
            .Select(i => new PostgresKvEngine(options?.Invoke(i, origins.Database.ConnectionString) ?? new PostgresKvOptions { ConnectionString = origins.Database.ConnectionString }))
            .ToArray();
        origins._engines.AddRange(engines);
        await Task.WhenAll(engines.Select(e => e.InitializeAsync(CancellationToken.None)));
        await engines[0].WriteAsync(new EnsureAccount(Account, "test"));
        return origins;
    }

    public static EntryWrite Entry(string key, string value) => new(Encoding.UTF8.GetBytes(key), ValueBuffer.FromBytes(Encoding.UTF8.GetBytes(value)), null, null);

    public static async Task<string?> ReadAsync(IKvEngine engine, KvNamespace ns, string key)
    {
        await using var value = (await engine.GetAsync(ns, Encoding.UTF8.GetBytes(key), default, CancellationToken.None)).Value;
        return value is null ? null : Encoding.UTF8.GetString((await value.ReadAllAsync(CancellationToken.None)).Span);
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("Timed out waiting for: " + what);
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in _engines) await engine.DisposeAsync();
        await Database.DisposeAsync();
    }
}
