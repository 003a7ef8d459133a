using System.Text;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;

namespace Kivi.Storage.Sqlite.Tests;

/// <summary>The writer's group commit: one faulting command fails alone, its group neighbours land.</summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kivi-group-").FullName;
    private SqliteKvEngine _engine = null!;
    private KvNamespace _ns = null!;

    public async ValueTask InitializeAsync()
    {
        _engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = Path.Combine(_folder, "kivi.db") });
        await _engine.InitializeAsync(CancellationToken.None);
        await _engine.WriteAsync(new EnsureAccount("acct", "acct"));
        _ns = (await _engine.WriteAsync(new CreateNamespace("acct", "ns1", "title", 10))).Namespace!;
    }

    [Fact]
    public async Task A_command_that_faults_fails_alone_and_the_rest_of_its_group_commits()
    {
        // A disposed value faults inside the writer's transaction, like an I/O error would.
        var poisoned = ValueBuffer.FromBytes(Encoding.UTF8.GetBytes("x"));
        var broken = await ValueBuffer.ReadAsync(new MemoryStream(new byte[10]), 100, _ => new InvalidOperationException(), CancellationToken.None);
        broken.Dispose();
        var writes = Enumerable.Range(0, 200).Select(i => i == 100
            ? _engine.WriteAsync(new PutEntries(_ns, [new EntryWrite("bad"u8.ToArray(), broken, null, null)]))
            : _engine.WriteAsync(new PutEntries(_ns, [new EntryWrite(Encoding.UTF8.GetBytes($"k{i}"), poisoned, null, null)]))).ToArray();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => writes[100]); // the one write whose value failed, and only it
        var results = await Task.WhenAll(writes.Where((_, i) => i != 100));
        Assert.All(results, r => Assert.Equal(WriteStatus.Ok, r.Status));
        Assert.Equal(199, results.Select(r => r.Version).Distinct().Count());
        var listed = (await _engine.ListAsync(_ns, [], null, 1000, default, CancellationToken.None)).Value;
        Assert.Equal(199, listed.Count);
        Assert.DoesNotContain(listed, e => Encoding.UTF8.GetString(e.Key) == "bad");
        // Versions stayed dense: the rolled-back attempt left no gap (199 puts, versions 1 to 199).
        Assert.Equal(199, results.Max(r => r.Version));
        Assert.Equal(199, _engine.HeadVersion);
        Assert.Equal(_engine.HeadVersion, _engine.DurableHeadVersion);
    }

    [Fact]
    public async Task The_head_version_survives_a_reopen()
    {
        await _engine.WriteAsync(new PutEntries(_ns, [new EntryWrite("a"u8.ToArray(), ValueBuffer.FromBytes([1]), null, null)]));
        await _engine.WriteAsync(new DeleteEntries(_ns, ["a"u8.ToArray()]));
        long head = _engine.HeadVersion;
        await _engine.DisposeAsync();
        _engine = new SqliteKvEngine(new SqliteKvOptions { DatabasePath = Path.Combine(_folder, "kivi.db") });
        await _engine.InitializeAsync(CancellationToken.None);
        Assert.Equal(head, _engine.HeadVersion);
        var next = await _engine.WriteAsync(new PutEntries(_ns, [new EntryWrite("b"u8.ToArray(), ValueBuffer.FromBytes([1]), null, null)]));
        Assert.Equal(head + 1, next.Version);
    }

    [Fact]
    public void Prefix_upper_bounds_step_the_last_byte_that_can_grow() =>
        Assert.Equal(new byte[] { (byte)'a', (byte)'c' }, KeyRange.PrefixUpperBound([(byte)'a', (byte)'b', 0xFF])!);

    public async ValueTask DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
