using System.Diagnostics;
using System.Text;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Storage.Sqlite;

namespace Kivi.Benchmarks;

/// <summary>
/// Durable puts of 1 KiB values straight into the SQLite engine, from 64 concurrent writers, no HTTP: what the store
/// alone sustains, to set beside the HTTP figure (bench/put-vs-redis.sh) and tell the engine's share from the request's.
/// </summary>
internal static class EnginePut
{
    public static async Task<int> RunAsync(string[] args)
    {
        int writers = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 64;
        double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 8;
        string folder = Directory.CreateTempSubdirectory("kivi-engine-put-").FullName;
        try
        {
            await using var engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = Path.Combine(folder, "kivi.db") });
            await engine.InitializeAsync(CancellationToken.None);
            await engine.WriteAsync(new EnsureAccount("acct", "acct"));
            var ns = (await engine.WriteAsync(new CreateNamespace("acct", "ns1", "title", 10))).Namespace!;
            var value = new byte[1024];
            var author = new ChangeAuthor("t1", "bench", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            for (int round = 0; round < 3; round++)
            {
                long done = 0;
                var stop = Stopwatch.StartNew();
                var until = TimeSpan.FromSeconds(round == 0 ? 2 : seconds); // round 0 warms up
                await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
                {
                    var random = new Random(w);
                    while (stop.Elapsed < until)
                    {
                        var key = Encoding.UTF8.GetBytes($"key:{random.Next(1, 100_000)}");
                        await engine.WriteAsync(new PutEntries(ns, [new EntryWrite(key, ValueBuffer.FromBytes(value), null, null)], null, author));
                        Interlocked.Increment(ref done);
                    }
                })));
                if (round > 0) Console.WriteLine($"engine put, {writers} writers: {done / stop.Elapsed.TotalSeconds:F0} writes/s");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return 0;
    }
}
