using Kivi.Protocol;
using System.Collections.Concurrent;
using System.Text;
using Kivi.Core.Storage;

namespace Kivi.Storage.Postgres.Tests;

/// <summary>
/// The change log over PostgreSQL: versions in commit order, none ever skipped by a reader, even when
/// transactions that took their versions first commit last. These tests try hard to make that happen.
/// </summary>
public sealed class CommitOrderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Feed_readers_never_skip_a_change_when_many_writers_on_three_origins_commit_late()
    {
        // Every commit waits a random 0–12 ms after its versions are taken and its rows written: a transaction
        // holding low versions routinely finishes after others started. With versions from a sequence, a reader
        // would see version n+1 before n here and move past n for good.
        // Batches of different sizes per origin: one write per transaction, up to 9, up to 17.
        await using var origins = await Origins.StartAsync(3, (i, cs) => new PostgresKvOptions
        {
            ConnectionString = cs,
            BeforeCommit = () => Task.Delay(Random.Shared.Next(0, 13)),
            MaxBatchWrites = 1 + i * 8,
        });
        var ns = (await origins[0].WriteAsync(new CreateNamespace(Origins.Account, "ns-order", "order", 1000))).Namespace!;

        var acknowledged = new ConcurrentDictionary<long, (string Key, ChangeKind Kind)>();
        int writersLeft = 48;
        var writers = Enumerable.Range(0, 48).Select(w => Task.Run(async () =>
        {
            var origin = origins[w % 3];
            for (int i = 0; i < 25; i++)
            {
                string key = $"w{w}/k{i % 7}";
                if (i % 5 == 4)
                {
                    var deleted = await origin.WriteAsync(new DeleteEntries(ns, [Encoding.UTF8.GetBytes(key)]));
                    if (deleted.Changed == 1) Assert.True(acknowledged.TryAdd(deleted.Version, (key, ChangeKind.Delete)));
                }
                else if (i % 5 == 3)
                {
                    // a bulk put: three versions from one command, all in one transaction
                    var put = await origin.WriteAsync(new PutEntries(ns, [Origins.Entry(key + "a", "x"), Origins.Entry(key + "b", "y"), Origins.Entry(key + "c", "z")]));
                    for (int j = 0; j < 3; j++) Assert.True(acknowledged.TryAdd(put.Version - 2 + j, (key + "abc"[j], ChangeKind.Put)));
                }
                else
                {
                    var put = await origin.WriteAsync(new PutEntries(ns, [Origins.Entry(key, $"v{i}")]));
                    Assert.True(acknowledged.TryAdd(put.Version, (key, ChangeKind.Put)));
                }
            }
            Interlocked.Decrement(ref writersLeft);
        }, Ct)).ToArray();

        // One reader per origin, each tailing the log as the change feed does: from the last version it saw.
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(async () =>
        {
            var seen = new List<ChangeRecord>();
            long after = 0;
            while (Volatile.Read(ref writersLeft) > 0 || after < origins.Engines.Max(e => e.HeadVersion))
            {
                var page = await origins[r].ReadChangesAsync(after, 64, Ct);
                foreach (var change in page)
                {
                    // Dense and in order: were n+1 visible before n, this reader would have moved past n.
                    Assert.Equal(after + 1, change.Version);
                    seen.Add(change);
                    after = change.Version;
                }
                if (page.Count == 0) await Task.Yield();
            }
            return seen;
        }, Ct)).ToArray();

        await Task.WhenAll(writers);
        var logs = await Task.WhenAll(readers);
        Assert.True(acknowledged.Count > 48 * 25);
        foreach (var log in logs)
        {
            var byVersion = log.ToDictionary(c => c.Version);
            foreach (var (version, (key, kind)) in acknowledged)
            {
                Assert.True(byVersion.TryGetValue(version, out var change), $"acknowledged version {version} ({kind} {key}) never reached a reader");
                Assert.Equal(key, Encoding.UTF8.GetString(change!.Key!));
                Assert.Equal(kind, change.Kind);
            }
        }
    }

    [Fact]
    public async Task A_commit_held_open_makes_every_later_writer_wait_rather_than_overtake_it()
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int armed = 0;
        await using var origins = await Origins.StartAsync(2, (i, cs) => new PostgresKvOptions
        {
            ConnectionString = cs,
            BeforeCommit = i == 0 ? async () =>
            {
                if (Interlocked.Exchange(ref armed, 0) == 0) return; // only the put below is held
                holding.TrySetResult();
                await release.Task;
            } : null,
        });
        var ns = (await origins[0].WriteAsync(new CreateNamespace(Origins.Account, "ns-held", "held", 1000))).Namespace!;
        Volatile.Write(ref armed, 1);
        var slow = origins[0].WriteAsync(new PutEntries(ns, [Origins.Entry("slow", "1")]));
        await holding.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var fast = origins[1].WriteAsync(new PutEntries(ns, [Origins.Entry("fast", "2")]));
        // The other origin's write cannot take a version, let alone commit, while the first holds the head.
        Assert.NotSame(fast, await Task.WhenAny(fast, Task.Delay(300, Ct)));
        Assert.Empty(await origins[1].ReadChangesAsync(0, 10, Ct));
        release.SetResult();
        var (first, second) = (await slow.WaitAsync(TimeSpan.FromSeconds(10), Ct), await fast.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(first.Version + 1, second.Version);
        var log = await origins[1].ReadChangesAsync(0, 10, Ct);
        Assert.Equal(["slow", "fast"], log.Select(c => Encoding.UTF8.GetString(c.Key!)));
    }
}
