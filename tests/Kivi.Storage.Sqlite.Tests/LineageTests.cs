using Kivi.Core.Storage;

namespace Kivi.Storage.Sqlite.Tests;

/// <summary>A SQLite store's identity and history: kept across opens, a new epoch at each open, a copy's own epoch.</summary>
public sealed class LineageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kivi-lineage-").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<SqliteKvEngine> OpenAsync(string folder)
    {
        var engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = Path.Combine(folder, "kivi.db") });
        await engine.InitializeAsync(Ct);
        return engine;
    }

    [Fact]
    public async Task Each_open_starts_an_epoch_at_the_head_and_a_restored_copy_cannot_continue_the_lost_history()
    {
        Kivi.Protocol.StoreLineage first, second;
        await using (var engine = await OpenAsync(_folder))
        {
            first = engine.Lineage!;
            await engine.WriteAsync(new EnsureAccount("acc", "a"));
        }
        Assert.Single(first.History);
        Assert.Equal(0, first.History[0].StartVersion);
        string copy = Directory.CreateTempSubdirectory("kivi-lineage-copy-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(_folder)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            await using (var engine = await OpenAsync(_folder))
            {
                second = engine.Lineage!;
                await engine.WriteAsync(new EnsureAccount("acc2", "b"));
                await engine.WriteAsync(new CreateNamespace("acc2", "0123456789abcdef0123456789abcdef", "t", 1000));
            }
            Assert.Equal(first.StoreId, second.StoreId);
            Assert.Equal(first.History, second.History.Take(1));
            Assert.Equal(2, second.History.Count);
            // A follower at the first epoch's end resumes; one positioned past it in the first epoch cannot have been.
            Assert.True(second.Continues(first.CurrentEpoch, 0, head: 5));
            Assert.False(second.Continues(first.CurrentEpoch, second.History[1].StartVersion + 1, head: 5));

            await using var restored = await OpenAsync(copy);
            var branch = restored.Lineage!;
            Assert.Equal(first.StoreId, branch.StoreId);
            Assert.DoesNotContain(branch.History, e => e.Epoch == second.CurrentEpoch); // the lost history's epoch is unknown here
            Assert.False(branch.Continues(second.CurrentEpoch, 0, restored.HeadVersion));
            Assert.True(branch.Continues(first.CurrentEpoch, 0, restored.HeadVersion));

            await using (var other = await OpenAsync(Path.Combine(copy, "other")))
                Assert.NotEqual(first.StoreId, other.Lineage!.StoreId);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
