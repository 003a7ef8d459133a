using System.Security.Cryptography;
using System.Text;
using Kivi.Core;
using Kivi.Core.Access;
using Kivi.Core.Storage;

namespace Kivi.Storage.Postgres.Tests;

/// <summary>Two origins over one database serve one dataset: what one commits, the other reads.</summary>
public sealed class MultiOriginTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_namespace_made_on_one_origin_is_usable_on_the_other_at_once_and_data_flows_both_ways()
    {
        await using var origins = await Origins.StartAsync(2);
        var (a, b) = (origins[0], origins[1]);
        var created = (await a.WriteAsync(new CreateNamespace(Origins.Account, "ns-both", "both", 1000))).Namespace!;
        // No wait: an origin that does not know a namespace asks the database before saying it does not exist.
        var seen = await b.GetNamespaceAsync(Origins.Account, "ns-both", Ct);
        Assert.Equal(created, seen);
        var put = await b.WriteAsync(new PutEntries(seen!, [Origins.Entry("from-b", "hello")]));
        Assert.Equal("hello", await Origins.ReadAsync(a, created, "from-b"));
        // A's view of the head catches up with B's commit, and a waiter for it is woken.
        await a.WaitForDurableAsync(put.Version - 1, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(a.DurableHeadVersion >= put.Version);
        var again = await a.WriteAsync(new PutEntries(created, [Origins.Entry("from-b", "again")]));
        Assert.Equal(put.Version + 1, again.Version);
        Assert.Equal("again", await Origins.ReadAsync(b, seen!, "from-b"));
    }

    [Fact]
    public async Task Catalog_changes_on_one_origin_reach_the_other_renames_drops_and_revoked_tokens()
    {
        await using var origins = await Origins.StartAsync(2);
        var (a, b) = (origins[0], origins[1]);
        var ns = (await a.WriteAsync(new CreateNamespace(Origins.Account, "ns-cat", "before", 1000))).Namespace!;
        byte[] hash = SHA256.HashData("secret"u8);
        var token = new KvToken("tok1", Origins.Account, "reader", TokenPermission.Read, null, 1, hash);
        await a.WriteAsync(new CreateToken(token));
        Assert.Equal("tok1", (await b.FindTokenAsync(hash, Ct))?.Id); // unknown here: asked of the database
        Assert.Equal("before", (await b.GetNamespaceAsync(Origins.Account, "ns-cat", Ct))!.Title);

        await a.WriteAsync(new RevokeToken(Origins.Account, "tok1"));
        await a.WriteAsync(new RenameNamespace(Origins.Account, "ns-cat", "after"));
        await Origins.WaitUntilAsync(async () => await b.FindTokenAsync(hash, Ct) is null, "the revoked token to stop working at the other origin");
        await Origins.WaitUntilAsync(async () => (await b.GetNamespaceAsync(Origins.Account, "ns-cat", Ct))?.Title == "after", "the rename to reach the other origin");
        Assert.Equal("after", (await b.ListNamespacesAsync(Origins.Account, NamespaceOrder.Id, false, 0, 10, Ct)).Items.Single().Title);

        // B's writer checks the catalog under the head's lock, so a drop on A is exact there, not eventually.
        await a.WriteAsync(new DeleteNamespace(Origins.Account, "ns-cat"));
        Assert.Equal(WriteStatus.NamespaceNotFound, (await b.WriteAsync(new PutEntries(ns, [Origins.Entry("k", "v")]))).Status);
        Assert.Equal(WriteStatus.NamespaceNotFound, (await b.WriteAsync(new RenameNamespace(Origins.Account, "ns-cat", "x"))).Status);
    }

    [Fact]
    public async Task Origins_racing_for_one_title_or_one_key_have_exactly_one_winner()
    {
        await using var origins = await Origins.StartAsync(2);
        var creates = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            origins[i % 2].WriteAsync(new CreateNamespace(Origins.Account, $"ns-race-{i}", "contested", 1000))));
        Assert.Single(creates, r => r.Status == WriteStatus.Ok);
        Assert.All(creates.Where(r => r.Status != WriteStatus.Ok), r => Assert.Equal(WriteStatus.TitleExists, r.Status));

        var ns = creates.Single(r => r.Status == WriteStatus.Ok).Namespace!;
        var puts = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            origins[i % 2].WriteAsync(new PutEntries(ns, [Origins.Entry("lock", $"owner-{i}")], new Precondition(null, MustBeAbsent: true, Now: 0)))));
        Assert.Single(puts, r => r.Status == WriteStatus.Ok);
        Assert.Equal(39, puts.Count(r => r.Status == WriteStatus.PreconditionFailed));
    }

    [Fact]
    public async Task A_large_value_streams_from_either_origin_byte_for_byte()
    {
        await using var origins = await Origins.StartAsync(2);
        var ns = (await origins[0].WriteAsync(new CreateNamespace(Origins.Account, "ns-big", "big", 1000))).Namespace!;
        var bytes = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(bytes);
        var put = await origins[0].WriteAsync(new PutEntries(ns, [new EntryWrite("big"u8.ToArray(), ValueBuffer.FromBytes(bytes), """{"a":1}""", null)]));
        await using var value = (await origins[1].GetAsync(ns, "big"u8.ToArray(), default, Ct)).Value;
        Assert.NotNull(value);
        Assert.NotNull(value.Stream); // over the inline size: streamed, not buffered
        Assert.Equal(put.Version, value.Version);
        Assert.Equal("""{"a":1}""", value.Metadata);
        var copy = new MemoryStream();
        await value.CopyToAsync(copy, Ct);
        Assert.Equal(bytes, copy.ToArray());
    }
}
