using System.Text;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Storage.Sqlite;

namespace Kivi.Cli.Tests;

/// <summary><c>kivi check</c> over a real SQLite store: sound, then damaged on disk.</summary>
public sealed class CheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Check_says_a_sound_store_is_ok_and_exits_9_with_the_problems_for_a_damaged_one()
    {
        using var cli = new Cli(server: null, token: null);
        string data = cli.PathOf("data"), db = Path.Combine(data, "kivi.db");
        const string account = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0", nsId = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
        await using (var engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = db, CheckpointPages = 1 }))
        {
            await engine.InitializeAsync(Ct);
            await engine.WriteAsync(new EnsureAccount(account, "checked"));
            await engine.WriteAsync(new CreateNamespace(account, nsId, "checked", 1000));
            var ns = (await engine.GetNamespaceAsync(account, nsId, Ct))!;
            var entries = Enumerable.Range(0, 400).Select(i => new EntryWrite(Encoding.UTF8.GetBytes($"key-{i:D4}"), ValueBuffer.FromBytes(new byte[2000]), null, null)).ToArray();
            await engine.WriteAsync(new PutEntries(ns, entries));
        }
        var sound = await cli.OkAsync("check", "--data", data);
        Assert.Contains("is sound", sound.Out, StringComparison.Ordinal);

        using (var file = new FileStream(db, FileMode.Open, FileAccess.ReadWrite))
        {
            var noise = new byte[4096];
            for (long page = file.Length / 4096 / 2; page < file.Length / 4096 - 1; page += 2)
            {
                Random.Shared.NextBytes(noise);
                file.Position = page * 4096;
                file.Write(noise);
            }
        }
        var damaged = await cli.ExpectAsync(ExitCodes.Damaged, "check", "--data", data);
        Assert.Contains("damaged:", damaged.Stderr, StringComparison.Ordinal);
        Assert.Contains("kivi restore", damaged.Stderr, StringComparison.Ordinal);
        await cli.ExpectAsync(ExitCodes.NotFound, "check", "--data", cli.PathOf("nowhere"));
    }
}
