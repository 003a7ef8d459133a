using Kivi.Core.Storage;
using Kivi.Protocol;
using Npgsql;

namespace Kivi.Storage.Postgres.Tests;

/// <summary>The database going away: clear errors, retries only where nothing can be applied twice, and a clean recovery.</summary>
public sealed class FailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(Origins Origins, TcpGate Gate, KvNamespace Ns)> StartBehindGateAsync(TimeSpan retryFor, Func<Task>? beforeCommit = null)
    {
        var server = new NpgsqlConnectionStringBuilder(TestDatabase.Server);
        var gate = new TcpGate(server.Host!, server.Port);
        var origins = await Origins.StartAsync(1, (_, cs) => new PostgresKvOptions
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(cs) { Host = "127.0.0.1", Port = gate.Port, Timeout = 2 }.ConnectionString,
            RetryFor = retryFor,
            BeforeCommit = beforeCommit,
        });
        var ns = (await origins[0].WriteAsync(new CreateNamespace(Origins.Account, "ns-fail", "fail", 1000))).Namespace!;
        return (origins, gate, ns);
    }

    [Fact]
    public async Task An_unreachable_database_at_start_is_a_clear_503_naming_it()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        await using var engine = new PostgresKvEngine(new PostgresKvOptions { ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Timeout=2" });
        var error = await Assert.ThrowsAsync<KvException>(() => engine.InitializeAsync(Ct));
        Assert.Equal(503, error.StatusCode);
        Assert.Contains($"PostgreSQL store at 127.0.0.1:{port}", error.Message);
    }

    [Fact]
    public async Task A_write_during_a_short_outage_is_retried_and_lands_once()
    {
        var (origins, gate, ns) = await StartBehindGateAsync(TimeSpan.FromSeconds(20));
        await using (origins)
        await using (gate)
        {
            var before = await origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("a", "1")]));
            gate.Cut();
            var during = origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("b", "2")]));
            Assert.NotSame(during, await Task.WhenAny(during, Task.Delay(500, Ct))); // still trying
            gate.Open();
            var landed = await during.WaitAsync(TimeSpan.FromSeconds(20), Ct);
            Assert.Equal(before.Version + 1, landed.Version);
            Assert.Equal("2", await Origins.ReadAsync(origins[0], ns, "b"));
            Assert.Equal(2, (await origins[0].ReadChangesAsync(before.Version - 1, 10, Ct)).Count);
        }
    }

    [Fact]
    public async Task A_long_outage_fails_writes_and_reads_with_a_503_and_nothing_half_written()
    {
        var (origins, gate, ns) = await StartBehindGateAsync(TimeSpan.FromSeconds(1));
        await using (origins)
        await using (gate)
        {
            var before = await origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("a", "1")]));
            gate.Cut();
            var write = await Assert.ThrowsAsync<KvException>(() => origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("b", "2")])));
            Assert.Equal(503, write.StatusCode);
            Assert.Contains("nothing was written", write.Message);
            var read = await Assert.ThrowsAsync<KvException>(async () => await origins[0].GetAsync(ns, "a"u8.ToArray(), default, Ct));
            Assert.Equal(503, read.StatusCode);
            gate.Open();
            Assert.Null(await Origins.ReadAsync(origins[0], ns, "b"));
            var after = await origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("c", "3")]));
            Assert.Equal(before.Version + 1, after.Version); // the failed write took no version
        }
    }

    [Fact]
    public async Task A_commit_lost_with_its_connection_is_never_resent_and_says_the_outcome_is_unknown()
    {
        TcpGate? gateRef = null;
        int armed = 0, commits = 0;
        var (origins, gate, ns) = await StartBehindGateAsync(TimeSpan.FromSeconds(20), () =>
        {
            if (Volatile.Read(ref armed) == 0) return Task.CompletedTask;
            if (Interlocked.Increment(ref commits) == 1) gateRef!.Cut(); // cut just before this COMMIT leaves
            return Task.CompletedTask;
        });
        gateRef = gate;
        await using (origins)
        await using (gate)
        {
            await origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("a", "1")]));
            Volatile.Write(ref armed, 1);
            var error = await Assert.ThrowsAsync<KvException>(() =>
                origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("lock", "mine")], new Precondition(null, MustBeAbsent: true, Now: 0))));
            Assert.Equal(503, error.StatusCode);
            Assert.Contains("may or may not have been applied", error.Message);
            Assert.Equal(1, commits); // not retried
            gate.Open();
            // Here the cut came before COMMIT left, so the server rolled it back; the writer found out by reading, as the message says.
            Assert.Null(await Origins.ReadAsync(origins[0], ns, "lock"));
            Assert.Equal(WriteStatus.Ok, (await origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("lock", "mine")], new Precondition(null, true, 0)))).Status);
        }
    }

    [Fact]
    public async Task A_schema_newer_than_this_kivi_is_refused_before_anything_is_touched()
    {
        await using var origins = await Origins.StartAsync(1);
        await using (var connection = new NpgsqlConnection(origins.Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var bump = new NpgsqlCommand("UPDATE kivi_schema SET version = 99;", connection);
            await bump.ExecuteNonQueryAsync(Ct);
        }
        await using var newer = new PostgresKvEngine(new PostgresKvOptions { ConnectionString = origins.Database.ConnectionString });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.InitializeAsync(Ct));
        Assert.Contains("upgrade Kivi", error.Message);
    }
}
