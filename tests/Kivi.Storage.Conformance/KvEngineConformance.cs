using System.Text;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Kivi.Storage.Conformance;

/// <summary>
/// Every Workers KV rule, checked through <see cref="KvService"/> against a real engine. An engine's test
/// project subclasses this and supplies <see cref="CreateEngineAsync"/>; a cache in front of a store supplies
/// <see cref="Front"/> as well, and every rule is checked through it. Time is a fake clock.
/// </summary>
public abstract partial class KvEngineConformance : IAsyncLifetime
{
    protected const string Account = "0123456789abcdef0123456789abcdef";
    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Clock { get; } = new(Start);
    /// <summary>The store: its change log, catalog and snapshots are checked on it directly.</summary>
    protected IKvEngine Engine { get; private set; } = null!;

    /// <summary>What reads and writes go through: the store, or a cache in front of it (<see cref="Front"/>).</summary>
    protected IKvReads Reads { get; private set; } = null!;
    protected KvService Kv { get; private set; } = null!;

    /// <summary>The token every write of the suite is made with: the audit must name it.</summary>
    protected static Kivi.Core.Access.Caller Writer { get; } = Kivi.Core.Access.Caller.For(
        new Kivi.Core.Access.KvToken("token-1", Account, "conformance writer", Kivi.Core.Access.TokenPermission.AccountAdmin, null, 0, new byte[32]));
    protected KvNamespace Ns { get; private set; } = null!;
    protected long Now => Clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Creates a fresh, empty engine (initialised) for one test.</summary>
    protected abstract Task<IKvEngine> CreateEngineAsync();

    /// <summary>What reads and writes of <paramref name="store"/> go through; the store itself unless overridden.</summary>
    protected virtual (IKvReads Reads, IKvWrites Writes) Front(IKvEngine store) => (store, store);

    public async ValueTask InitializeAsync()
    {
        Engine = await CreateEngineAsync();
        var (reads, writes) = Front(Engine);
        Reads = reads;
        Kv = new KvService(reads, KvLimits.WorkersKv, Clock, writes, Engine);
        await Engine.WriteAsync(new EnsureAccount(Account, "test"));
        Ns = await Kv.CreateNamespaceAsync(Account, "conformance", CancellationToken.None);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected Task<long> Put(string key, string value, string? ttl = null, string? expiration = null, string? metadata = null) =>
        Kv.PutAsync(Ns, new PutRequest(key, ValueBuffer.FromBytes(Encoding.UTF8.GetBytes(value)), expiration, ttl, metadata is null ? default : Encoding.UTF8.GetBytes(metadata)), Writer);

    protected async Task<string?> Get(string key)
    {
        await using var value = (await Kv.GetAsync(Ns, key, default, CancellationToken.None)).Value;
        return value is null ? null : Encoding.UTF8.GetString((await value.ReadAllAsync(CancellationToken.None)).Span);
    }

    protected async Task<List<string>> ListAll(string? prefix = null, int pageSize = 1000)
    {
        var names = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await Kv.ListKeysAsync(Ns, prefix, pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), cursor, 1, default, CancellationToken.None)).Value;
            names.AddRange(page.Keys.Select(k => Encoding.UTF8.GetString(k.Key)));
            cursor = page.Cursor;
        } while (cursor is not null);
        return names;
    }

    private static async Task<KvException> Refused(Func<Task> action) => await Assert.ThrowsAsync<KvException>(action);

    // ---- values ----

    [Fact]
    public async Task A_put_value_reads_back_with_its_metadata_and_expiration()
    {
        long version = await Put("greeting", "hello", ttl: "120", metadata: """{ "lang" : "en" }""");
        await using var value = (await Kv.GetAsync(Ns, "greeting", default, CancellationToken.None)).Value;
        Assert.NotNull(value);
        Assert.Equal("hello", Encoding.UTF8.GetString((await value.ReadAllAsync(CancellationToken.None)).Span));
        Assert.Equal("""{"lang":"en"}""", value.Metadata);
        Assert.Equal(Now + 120, value.Expiration);
        Assert.Equal(version, value.Version);
    }

    [Fact]
    public async Task An_empty_value_is_allowed()
    {
        await Put("empty", "");
        Assert.Equal("", await Get("empty"));
    }

    [Fact]
    public async Task A_missing_key_is_a_null_result_not_an_error()
    {
        Assert.Null(await Get("nothing-here"));
        Assert.Null((await Kv.GetInfoAsync(Ns, "nothing-here", default, CancellationToken.None)).Value);
    }

    [Fact]
    public async Task A_put_overwrites_value_metadata_and_expiration_together()
    {
        await Put("k", "one", ttl: "100", metadata: "{\"a\":1}");
        await Put("k", "two");
        var info = (await Kv.GetInfoAsync(Ns, "k", default, CancellationToken.None)).Value;
        Assert.Equal("two", await Get("k"));
        Assert.Null(info!.Metadata);
        Assert.Null(info.Expiration);
    }

    [Fact]
    public async Task Delete_removes_a_key_and_a_missing_key_is_fine()
    {
        await Put("gone", "v");
        await Kv.DeleteAsync(Ns, "gone", Writer);
        await Kv.DeleteAsync(Ns, "never-was", Writer);
        Assert.Null(await Get("gone"));
    }

    [Fact]
    public async Task Versions_grow_with_every_change_in_commit_order()
    {
        long a = await Put("a", "1");
        long b = await Put("b", "1");
        long c = await Put("a", "2");
        Assert.True(a < b && b < c);
        Assert.Equal(c, Engine.HeadVersion);
    }

    [Fact]
    public async Task Concurrent_writes_all_land_with_distinct_versions()
    {
        var versions = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Put($"c{i}", $"v{i}")));
        Assert.Equal(200, versions.Distinct().Count());
        for (int i = 0; i < 200; i += 37) Assert.Equal($"v{i}", await Get($"c{i}"));
    }

    // ---- keys ----

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public async Task An_empty_key_is_refused(string? key)
    {
        var e = await Refused(() => Kv.PutAsync(Ns, new PutRequest(key, ValueBuffer.FromBytes([1])), Writer));
        Assert.Equal(400, e.StatusCode);
        Assert.Equal("Key names must not be empty", e.Message);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task Dot_keys_are_refused(string key)
    {
        var e = await Refused(() => Put(key, "v"));
        Assert.Equal($"Illegal key name \"{key}\". Please use a different name.", e.Message);
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public async Task Keys_are_limited_to_512_utf8_bytes_not_characters()
    {
        await Put(new string('k', 512), "ok");
        var e = await Refused(() => Put(new string('k', 513), "no"));
        Assert.Equal(414, e.StatusCode);
        Assert.Equal("UTF-8 encoded length of 513 exceeds key length limit of 512.", e.Message);
        // 171 three-byte characters are 513 bytes though only 171 characters.
        var wide = await Refused(() => Put(new string('€', 171), "no"));
        Assert.Equal("UTF-8 encoded length of 513 exceeds key length limit of 512.", wide.Message);
        Assert.Equal("ok", await Get(new string('k', 512)));
    }

    [Fact]
    public async Task A_key_with_an_unpaired_surrogate_is_refused()
    {
        var e = await Refused(() => Put("bad\uD800key", "v"));
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public async Task Keys_may_hold_slashes_spaces_and_any_printable_character()
    {
        string key = "a/b c?d#e%2F€𝄞";
        await Put(key, "v");
        Assert.Equal("v", await Get(key));
        Assert.Equal([key], await ListAll());
    }

    // ---- values and metadata limits ----

    [Fact]
    public async Task A_value_of_exactly_25_MiB_is_stored_and_one_byte_more_is_refused()
    {
        var big = new byte[KvLimits.WorkersKv.MaxValueBytes];
        big[0] = 1;
        big[^1] = 2;
        Random.Shared.NextBytes(big.AsSpan(1000, 1000));
        await Kv.PutAsync(Ns, new PutRequest("big", ValueBuffer.FromBytes(big)), Writer);
        await using (var value = (await Kv.GetAsync(Ns, "big", default, CancellationToken.None)).Value)
        {
            Assert.Equal(big.Length, value!.Length);
            var read = await value.ReadAllAsync(CancellationToken.None);
            Assert.True(big.AsSpan().SequenceEqual(read.Span));
        }
        var e = await Refused(() => Kv.PutAsync(Ns, new PutRequest("bigger", ValueBuffer.FromBytes(new byte[big.Length + 1])), Writer));
        Assert.Equal(413, e.StatusCode);
        Assert.Equal("Value length of 26214401 exceeds limit of 26214400.", e.Message);
        Assert.Null(await Get("bigger"));
    }

    [Theory]
    [InlineData("\"a string\"", "\"a string\"")]
    [InlineData("42", "42")]
    [InlineData("[1, 2, {\"x\": true}]", "[1,2,{\"x\":true}]")]
    [InlineData("null", null)]
    public async Task Metadata_is_any_json_value_stored_compactly(string given, string? stored)
    {
        await Put("m", "v", metadata: given);
        Assert.Equal(stored, ((await Kv.GetInfoAsync(Ns, "m", default, CancellationToken.None)).Value)!.Metadata);
    }

    [Fact]
    public async Task Metadata_is_limited_to_1024_serialised_bytes()
    {
        string fits = "\"" + new string('m', 1022) + "\"";
        await Put("m", "v", metadata: fits);
        var e = await Refused(() => Put("m2", "v", metadata: "\"" + new string('m', 1023) + "\""));
        Assert.Equal(413, e.StatusCode);
        Assert.Equal("Metadata length of 1025 exceeds limit of 1024.", e.Message);
        // Whitespace is not counted: the limit applies to the compact serialisation.
        await Put("m3", "v", metadata: "{ \"a\" :      \"" + new string('m', 1016) + "\" }"); // {"a":"…"} is 1024 bytes
        Assert.Null(await Get("m2"));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{'a':1}")]
    [InlineData("1 2")]
    [InlineData("undefined")]
    public async Task Metadata_that_is_not_json_is_refused(string metadata)
    {
        var e = await Refused(() => Put("m", "v", metadata: metadata));
        Assert.Equal(400, e.StatusCode);
        Assert.Null(await Get("m"));
    }

    // ---- expiration ----

    [Theory]
    [InlineData("30", "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.")]
    [InlineData("0", "Invalid expiration_ttl of 0. Please specify integer greater than 0.")]
    [InlineData("-5", "Invalid expiration_ttl of -5. Please specify integer greater than 0.")]
    [InlineData("abc", "Invalid expiration_ttl of abc. Please specify integer greater than 0.")]
    [InlineData("1.5", "Invalid expiration_ttl of 1.5. Please specify integer greater than 0.")]
    public async Task Bad_expiration_ttls_are_refused_with_workers_kv_texts(string ttl, string message)
    {
        var e = await Refused(() => Put("t", "v", ttl: ttl));
        Assert.Equal(400, e.StatusCode);
        Assert.Equal(message, e.Message);
        Assert.Null(await Get("t"));
    }

    [Fact]
    public async Task Huge_expiration_numbers_are_refused_not_overflowed()
    {
        var e1 = await Refused(() => Put("t", "v", ttl: "99999999999999999999999"));
        var e2 = await Refused(() => Put("t", "v", expiration: "99999999999999999999999"));
        var e3 = await Refused(() => Put("t", "v", ttl: long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All([e1, e2, e3], e => Assert.Equal(400, e.StatusCode));
        Assert.Contains("at most", e3.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Absolute_expirations_must_be_at_least_60_seconds_ahead()
    {
        string past = (Now - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string soon = (Now + 59).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var e1 = await Refused(() => Put("t", "v", expiration: past));
        Assert.Equal($"Invalid expiration of {past}. Please specify integer greater than the current number of seconds since the UNIX epoch.", e1.Message);
        var e2 = await Refused(() => Put("t", "v", expiration: soon));
        Assert.Equal($"Invalid expiration of {soon}. Expiration times must be at least 60 seconds in the future.", e2.Message);
        await Put("t", "v", expiration: (Now + 60).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Now + 60, ((await Kv.GetInfoAsync(Ns, "t", default, CancellationToken.None)).Value)!.Expiration);
    }

    [Fact]
    public async Task The_ttl_wins_when_both_expiration_and_ttl_are_given()
    {
        await Put("t", "v", ttl: "300", expiration: (Now + 10_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Now + 300, ((await Kv.GetInfoAsync(Ns, "t", default, CancellationToken.None)).Value)!.Expiration);
    }

    [Fact]
    public async Task An_expired_entry_is_never_read_or_listed_from_the_second_it_expires()
    {
        await Put("short", "v", ttl: "60", metadata: "1");
        await Put("long", "v", ttl: "600");
        Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("v", await Get("short"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await Get("short"));
        Assert.Null((await Kv.GetInfoAsync(Ns, "short", default, CancellationToken.None)).Value);
        Assert.Equal(["long"], await ListAll());
        var bulk = (await Kv.BulkGetAsync(Ns, ["short", "long"], BulkGetType.Text, default, CancellationToken.None)).Value;
        Assert.Null(bulk[0].Value);
        Assert.NotNull(bulk[1].Value);
    }

    [Fact]
    public async Task Purging_expired_rows_removes_them_and_logs_an_expire_change()
    {
        if (Engine is not IKvMaintenance maintenance) return;
        await Put("short", "v", ttl: "60");
        await Put("keep", "v");
        long before = Engine.HeadVersion;
        Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, await maintenance.PurgeExpiredAsync(Now, 100, CancellationToken.None));
        Assert.Equal(0, await maintenance.PurgeExpiredAsync(Now, 100, CancellationToken.None));
        var changes = await Engine.ReadChangesAsync(before, 100, CancellationToken.None);
        var change = Assert.Single(changes);
        Assert.Equal(ChangeKind.Expire, change.Kind);
        Assert.Equal("short", Encoding.UTF8.GetString(change.Key!));
        Assert.Equal("v", await Get("keep"));
    }

    // ---- listing ----

    [Fact]
    public async Task List_is_by_literal_case_sensitive_prefix()
    {
        foreach (var k in new[] { "user:1", "user:2", "User:3", "user", "users:4", "usr:5", "user%:6", "user_7" }) await Put(k, "v");
        Assert.Equal(["user:1", "user:2"], await ListAll("user:"));
        Assert.Equal(["User:3"], await ListAll("User"));
        Assert.Equal(["user%:6"], await ListAll("user%"));
        Assert.Equal(["user_7"], await ListAll("user_"));
    }

    [Fact]
    public async Task List_orders_by_utf8_bytes_not_utf16_code_units()
    {
        // U+E000 is 0xEE.. in UTF-8 and U+1F600 is 0xF0..; in UTF-16 the surrogate 0xD83D sorts first.
        string[] keys = ["\uE000", "😀", "a", "Z", "é"];
        foreach (var k in keys) await Put(k, "v");
        Assert.Equal(["Z", "a", "é", "\uE000", "😀"], await ListAll());
    }

    [Fact]
    public async Task Cursor_paging_returns_every_key_exactly_once_in_order()
    {
        var keys = Enumerable.Range(0, 250).Select(i => $"k{i:D4}").ToList();
        await Kv.BulkPutAsync(Ns, keys.Select(k => new BulkWriteItem { Key = k, Value = "v" }).ToList(), Writer);
        var first = (await Kv.ListKeysAsync(Ns, null, "100", null, 1, default, CancellationToken.None)).Value;
        Assert.Equal(100, first.Keys.Count);
        Assert.False(first.ListComplete);
        Assert.Equal(keys, await ListAll(pageSize: 100));
        Assert.Equal(keys, await ListAll(pageSize: 7));
        Assert.Equal(keys.Where(k => k.StartsWith("k01", StringComparison.Ordinal)), await ListAll("k01", 30));
    }

    [Fact]
    public async Task A_list_starts_after_a_cursor_key_and_stops_at_the_end_of_its_prefix()
    {
        foreach (var k in new[] { "a1", "b", "b1", "b2", "b\u00ff", "c1", "\u00ff", "\u00ff\u00ff" }) await Put(k, "v");
        async Task<string[]> List(string prefix, string? after) =>
            (await Reads.ListAsync(Ns, Encoding.UTF8.GetBytes(prefix), after is null ? null : Encoding.UTF8.GetBytes(after), 100, new ReadOptions(Now), CancellationToken.None)).Value
                .Select(e => Encoding.UTF8.GetString(e.Key)).ToArray();
        Assert.Equal(["b", "b1", "b2", "b\u00ff"], await List("b", null));
        Assert.Equal(["b", "b1", "b2", "b\u00ff"], await List("b", "a9"));   // a cursor before the prefix starts at the prefix
        Assert.Equal(["b2", "b\u00ff"], await List("b", "b1"));             // after the cursor, exclusive
        Assert.Empty(await List("b", "b\u00ff"));
        Assert.Empty(await List("b", "c"));                               // a cursor past the prefix: nothing
        Assert.Equal(["c1", "\u00ff", "\u00ff\u00ff"], await List("", "b\u00ff")); // no prefix: no upper bound
        Assert.Equal(["\u00ff\u00ff"], await List("\u00ff", "\u00ff"));          // a prefix ending in a high byte (ÿ is C3 BF) still ends correctly
    }

    [Fact]
    public async Task The_list_limit_defaults_to_1000_and_refuses_outside_1_to_1000()
    {
        await Kv.BulkPutAsync(Ns, Enumerable.Range(0, 1001).Select(i => new BulkWriteItem { Key = $"k{i:D4}", Value = "v" }).ToList(), Writer);
        var page = (await Kv.ListKeysAsync(Ns, null, null, null, 1, default, CancellationToken.None)).Value;
        Assert.Equal(1000, page.Keys.Count);
        Assert.NotNull(page.Cursor);
        var last = (await Kv.ListKeysAsync(Ns, null, null, page.Cursor, 1, default, CancellationToken.None)).Value;
        Assert.Single(last.Keys);
        Assert.True(last.ListComplete);
        var tooMany = await Refused(() => Kv.ListKeysAsync(Ns, null, "1001", null, 1, default, CancellationToken.None).AsTask());
        Assert.Equal("Invalid key_count_limit of 1001. Please specify an integer less than 1000.", tooMany.Message);
        var tooFew = await Refused(() => Kv.ListKeysAsync(Ns, null, "0", null, 1, default, CancellationToken.None).AsTask());
        Assert.Equal("Invalid key_count_limit of 0. Please specify an integer greater than 0.", tooFew.Message);
    }

    [Fact]
    public async Task A_malformed_cursor_is_refused()
    {
        var e = await Refused(() => Kv.ListKeysAsync(Ns, null, null, "!!not-base64!!", 1, default, CancellationToken.None).AsTask());
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public async Task Listing_returns_metadata_and_absolute_expiration()
    {
        await Put("a", "v", ttl: "100", metadata: "{\"n\":1}");
        var page = (await Kv.ListKeysAsync(Ns, null, null, null, 1, default, CancellationToken.None)).Value;
        var entry = Assert.Single(page.Keys);
        Assert.Equal("{\"n\":1}", entry.Metadata);
        Assert.Equal(Now + 100, entry.Expiration);
    }

    // ---- bulk ----

    [Fact]
    public async Task Bulk_write_takes_up_to_10000_pairs_with_base64_values_and_refuses_more()
    {
        var items = Enumerable.Range(0, 10_000).Select(i => new BulkWriteItem { Key = $"b{i}", Value = Convert.ToBase64String([(byte)(i % 256)]), Base64 = true }).ToList();
        Assert.Equal(10_000, (await Kv.BulkPutAsync(Ns, items, Writer)).Count);
        await using (var v = (await Kv.GetAsync(Ns, "b300", default, CancellationToken.None)).Value)
        {
            var bytes = (await v!.ReadAllAsync(CancellationToken.None)).ToArray();
            Assert.Equal(new byte[] { 300 % 256 }, bytes);
        }
        items.Add(new BulkWriteItem { Key = "one-too-many", Value = "x" });
        var e = await Refused(() => Kv.BulkPutAsync(Ns, items, Writer));
        Assert.Equal("received 10001 key/value pairs, but max allowed per request is: 10000", e.Message);
        Assert.Null(await Get("one-too-many"));
    }

    [Fact]
    public async Task A_batch_numbers_its_entries_consecutively_in_the_order_given_and_reports_the_last()
    {
        // IKvWrites' rule, which a single node's cache relies on to install each entry at its own version.
        await Put("x", "0");
        var items = new List<BulkWriteItem?> { new() { Key = "c", Value = "1" }, new() { Key = "a", Value = "2" }, new() { Key = "b", Value = "3" } };
        var (count, last) = await Kv.BulkPutAsync(Ns, items, Writer);
        Assert.Equal(3, count);
        foreach (var (key, version) in new[] { ("c", last - 2), ("a", last - 1), ("b", last) })
        {
            Assert.Equal(version, (await Kv.GetInfoAsync(Ns, key, default, CancellationToken.None)).Value!.Version); // as read through the front
            Assert.Equal(version, (await Engine.GetInfoAsync(Ns, Encoding.UTF8.GetBytes(key), new ReadOptions(Now), CancellationToken.None)).Value!.Version);
        }

        long before = Engine.HeadVersion;
        var (deleted, at) = await Kv.BulkDeleteAsync(Ns, ["b", "missing", "x"], Writer);
        var changes = await Engine.ReadChangesAsync(before, 10, CancellationToken.None);
        Assert.Equal([("b", at - 1), ("x", at)], changes.Select(c => (Encoding.UTF8.GetString(c.Key!), c.Version)));
        Assert.Equal(at, Engine.HeadVersion); // a key that did not exist took no version
        Assert.Null(await Get("b"));
        Assert.Null(await Get("x"));
        Assert.Equal("2", await Get("a"));
        Assert.Equal(3, deleted);
    }

    [Fact]
    public async Task Bulk_write_is_all_or_nothing_when_one_pair_is_invalid()
    {
        var items = new List<BulkWriteItem?>
        {
            new() { Key = "fine", Value = "v" },
            new() { Key = "bad-ttl", Value = "v", ExpirationTtl = System.Text.Json.JsonDocument.Parse("10").RootElement },
        };
        var e = await Refused(() => Kv.BulkPutAsync(Ns, items, Writer));
        Assert.Contains("Invalid expiration_ttl of 10", e.Message, StringComparison.Ordinal);
        Assert.Contains("item 1", e.Message, StringComparison.Ordinal);
        Assert.Null(await Get("fine"));
    }

    [Fact]
    public async Task Bulk_write_applies_expiration_and_metadata_per_pair()
    {
        await Kv.BulkPutAsync(Ns, [new BulkWriteItem { Key = "e", Value = "v", ExpirationTtl = System.Text.Json.JsonDocument.Parse("120").RootElement, Metadata = System.Text.Json.JsonDocument.Parse("{\"a\": [1]}").RootElement }], Writer);
        var info = (await Kv.GetInfoAsync(Ns, "e", default, CancellationToken.None)).Value;
        Assert.Equal(Now + 120, info!.Expiration);
        Assert.Equal("{\"a\":[1]}", info.Metadata);
    }

    [Fact]
    public async Task Bulk_delete_takes_up_to_10000_keys()
    {
        await Put("d1", "v");
        await Put("d2", "v");
        Assert.Equal(3, (await Kv.BulkDeleteAsync(Ns, ["d1", "d2", "missing"], Writer)).Count);
        Assert.Empty(await ListAll());
        var e = await Refused(() => Kv.BulkDeleteAsync(Ns, Enumerable.Range(0, 10_001).Select(i => (string?)$"k{i}").ToList(), Writer));
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public async Task Bulk_get_reads_up_to_100_keys_with_null_for_missing_ones()
    {
        await Put("j", "{\"x\":1}", metadata: "{\"m\":true}");
        await Put("t", "plain");
        var text = (await Kv.BulkGetAsync(Ns, ["t", "nope"], BulkGetType.Text, default, CancellationToken.None)).Value;
        Assert.Equal("plain", Encoding.UTF8.GetString(text[0].Value!.Value.ToArray()));
        Assert.Null(text[1].Value);
        var json = (await Kv.BulkGetAsync(Ns, ["j"], BulkGetType.Json, default, CancellationToken.None)).Value;
        Assert.Equal("{\"m\":true}", json[0].Metadata);
        var notJson = await Refused(() => Kv.BulkGetAsync(Ns, ["j", "t"], BulkGetType.Json, default, CancellationToken.None));
        Assert.Equal("At least one of the requested keys corresponds to a non-json value", notJson.Message);
        var tooMany = await Refused(() => Kv.BulkGetAsync(Ns, Enumerable.Range(0, 101).Select(i => (string?)$"k{i}").ToList(), BulkGetType.Text, default, CancellationToken.None));
        Assert.Equal("You can request a maximum of 100 keys", tooMany.Message);
        var none = await Refused(() => Kv.BulkGetAsync(Ns, [], BulkGetType.Text, default, CancellationToken.None));
        Assert.Equal("You must request a minimum of 1 key", none.Message);
        var badType = Assert.Throws<KvException>(() => KvService.ParseBulkGetType("arrayBuffer"));
        Assert.Equal("\"arrayBuffer\" is not a valid type. Use \"json\" or \"text\"", badType.Message);
    }

    [Fact]
    public async Task Bulk_get_refuses_answers_over_the_total_size_limit()
    {
        var small = new KvService(Reads, KvLimits.WorkersKv with { MaxBulkGetResponseBytes = 2_000_000 }, Clock);
        await Kv.PutAsync(Ns, new PutRequest("a", ValueBuffer.FromBytes(new byte[1_200_000])), Writer);
        await Kv.PutAsync(Ns, new PutRequest("b", ValueBuffer.FromBytes(new byte[1_200_000])), Writer);
        Assert.Single((await small.BulkGetAsync(Ns, ["a"], BulkGetType.Text, default, CancellationToken.None)).Value);
        var e = await Refused(() => small.BulkGetAsync(Ns, ["a", "b"], BulkGetType.Text, default, CancellationToken.None));
        Assert.Equal(413, e.StatusCode);
        Assert.Equal("Total size of request exceeds the limit of 2MB", e.Message);
    }

    // ---- snapshots (export and backup) ----

    [Fact]
    public async Task A_snapshot_sees_the_store_as_it_was_when_opened()
    {
        long a = await Put("a", "one");
        await Put("b", "two");
        await using var snapshot = await Engine.OpenSnapshotAsync(CancellationToken.None);
        Assert.Equal(Engine.HeadVersion, snapshot.Version);
        await Put("a", "changed");
        await Kv.DeleteAsync(Ns, "b", Writer);
        await Put("c", "new");
        var other = await Kv.CreateNamespaceAsync(Account, "created later", CancellationToken.None);

        var entries = await ReadAll(snapshot, Ns);
        Assert.Equal(["a", "b"], entries.Select(e => Encoding.UTF8.GetString(e.Key)));
        Assert.Equal("one", Encoding.UTF8.GetString(entries[0].Value));
        Assert.Equal(a, entries[0].Version);
        Assert.DoesNotContain(await snapshot.ListNamespacesAsync(Account, CancellationToken.None), n => n.Id == other.Id);
    }

    [Fact]
    public async Task A_snapshot_reads_every_live_entry_exactly_in_key_order()
    {
        var binary = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray(); // larger than any inline threshold
        await Kv.PutAsync(Ns, new PutRequest("bin", ValueBuffer.FromBytes(binary), MetadataJson: "{\"m\":1}"u8.ToArray()), Writer);
        await Put("é", "accent");
        await Put("z", "last", expiration: (Now + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Put("gone", "soon", ttl: "60");
        Clock.Advance(TimeSpan.FromSeconds(61));
        await using var snapshot = await Engine.OpenSnapshotAsync(CancellationToken.None);

        Assert.Contains(await snapshot.ListAccountsAsync(CancellationToken.None), x => x.Id == Account && x.Name == "test");
        var ns = Assert.Single(await snapshot.ListNamespacesAsync(Account, CancellationToken.None));
        Assert.Equal((Ns.Id, "conformance"), (ns.Id, ns.Title));
        var entries = await ReadAll(snapshot, ns);
        Assert.Equal(["bin", "z", "é"], entries.Select(e => Encoding.UTF8.GetString(e.Key))); // UTF-8 byte order; the expired key is gone
        Assert.Equal(binary, entries[0].Value);
        Assert.Equal("{\"m\":1}", entries[0].Metadata);
        Assert.Equal(Now - 61 + 3600, entries[1].Expiration);
        var rest = await ReadAll(snapshot, ns, startAfter: "bin"u8.ToArray());
        Assert.Equal(["z", "é"], rest.Select(e => Encoding.UTF8.GetString(e.Key)));
    }

    private async Task<List<StoredEntry>> ReadAll(IKvSnapshot snapshot, KvNamespace ns, byte[]? startAfter = null)
    {
        var entries = new List<StoredEntry>();
        await foreach (var entry in snapshot.ReadEntriesAsync(ns, startAfter, Now, CancellationToken.None)) entries.Add(entry);
        return entries;
    }

    // ---- namespaces and the change log ----

    [Fact]
    public async Task Namespace_titles_are_unique_per_account_and_renames_keep_data()
    {
        var e = await Refused(() => Kv.CreateNamespaceAsync(Account, "conformance", CancellationToken.None));
        Assert.Equal(KvErrorCode.NamespaceTitleExists, e.Code);
        await Put("k", "v");
        var renamed = await Kv.RenameNamespaceAsync(Account, Ns.Id, "renamed", CancellationToken.None);
        Assert.Equal("renamed", renamed.Title);
        Assert.Equal("v", await Get("k"));
        await Kv.CreateNamespaceAsync(Account, "conformance", CancellationToken.None);
        var clash = await Refused(() => Kv.RenameNamespaceAsync(Account, Ns.Id, "conformance", CancellationToken.None));
        Assert.Equal(KvErrorCode.NamespaceTitleExists, clash.Code);
    }

    [Fact]
    public async Task A_namespace_keeps_the_jurisdiction_it_was_created_with_and_refuses_unknown_ones()
    {
        var eu = await Kv.CreateNamespaceAsync(Account, "in-the-eu", CancellationToken.None, jurisdiction: "eu");
        Assert.Equal("eu", eu.Jurisdiction);
        Assert.Equal("eu", (await Engine.GetNamespaceAsync(Account, eu.Id, CancellationToken.None))!.Jurisdiction);
        Assert.Equal("eu", (await Engine.FindNamespaceAsync(eu.Id, CancellationToken.None))!.Jurisdiction);
        var renamed = await Kv.RenameNamespaceAsync(Account, eu.Id, "still-in-the-eu", CancellationToken.None, "eu");
        Assert.Equal(("still-in-the-eu", "eu"), (renamed.Title, renamed.Jurisdiction));
        Assert.Equal("eu", (await Kv.RenameNamespaceAsync(Account, eu.Id, "renamed-again", CancellationToken.None)).Jurisdiction);
        var moved = await Refused(() => Kv.RenameNamespaceAsync(Account, eu.Id, "moved", CancellationToken.None, "us"));
        Assert.Contains("cannot be changed", moved.Message, StringComparison.Ordinal);
        var unknown = await Refused(() => Kv.CreateNamespaceAsync(Account, "on-mars", CancellationToken.None, jurisdiction: "mars"));
        Assert.Contains("Unknown jurisdiction \"mars\"", unknown.Message, StringComparison.Ordinal);
        Assert.Null(Ns.Jurisdiction);
        await using var snapshot = await Engine.OpenSnapshotAsync(CancellationToken.None);
        Assert.Equal("eu", (await snapshot.ListNamespacesAsync(Account, CancellationToken.None)).Single(n => n.Id == eu.Id).Jurisdiction);
    }

    [Fact]
    public async Task Deleting_a_namespace_drops_its_entries_and_later_writes_fail()
    {
        await Put("k", "v");
        await Kv.DeleteNamespaceAsync(Account, Ns.Id, Writer, CancellationToken.None);
        await Refused(() => Kv.GetNamespaceAsync(Account, Ns.Id, CancellationToken.None).AsTask());
        var e = await Refused(() => Put("k2", "v"));
        Assert.Equal(KvErrorCode.NamespaceNotFound, e.Code);
        Assert.Empty((await Reads.ListAsync(Ns, [], null, 10, new ReadOptions(Now), CancellationToken.None)).Value);
        var changes = await Engine.ReadChangesAsync(0, 100, CancellationToken.None);
        Assert.Equal(ChangeKind.NamespaceDropped, changes[^1].Kind);
    }

    [Fact]
    public async Task Namespaces_list_in_pages_by_id_or_title_and_a_page_past_the_end_is_empty()
    {
        foreach (var t in new[] { "delta", "alpha", "charlie", "bravo" }) await Kv.CreateNamespaceAsync(Account, t, CancellationToken.None);
        var byTitle = await Kv.ListNamespacesAsync(Account, 1, 3, NamespaceOrder.Title, false, null, CancellationToken.None);
        Assert.Equal(["alpha", "bravo", "charlie"], byTitle.Items.Select(n => n.Title));
        Assert.Equal(5, byTitle.TotalCount);
        var second = await Kv.ListNamespacesAsync(Account, 2, 3, NamespaceOrder.Title, false, null, CancellationToken.None);
        Assert.Equal(["conformance", "delta"], second.Items.Select(n => n.Title));
        Assert.Empty((await Kv.ListNamespacesAsync(Account, 3, 3, NamespaceOrder.Title, false, null, CancellationToken.None)).Items);
        var desc = await Kv.ListNamespacesAsync(Account, 1, 1, NamespaceOrder.Title, true, null, CancellationToken.None);
        Assert.Equal("delta", desc.Items[0].Title);
        var byId = await Kv.ListNamespacesAsync(Account, 1, 10, NamespaceOrder.Id, false, null, CancellationToken.None);
        Assert.Equal(byId.Items.Select(n => n.Id).Order(StringComparer.Ordinal), byId.Items.Select(n => n.Id));
    }

    [Fact]
    public async Task Namespaces_of_another_account_are_invisible()
    {
        const string other = "fedcba9876543210fedcba9876543210";
        await Engine.WriteAsync(new EnsureAccount(other, "other"));
        Assert.Null(await Engine.GetNamespaceAsync(other, Ns.Id, CancellationToken.None));
        Assert.Equal(0, (await Kv.ListNamespacesAsync(other, 1, 10, NamespaceOrder.Id, false, null, CancellationToken.None)).TotalCount);
        await Refused(() => Kv.DeleteNamespaceAsync(other, Ns.Id, Writer, CancellationToken.None));
        Assert.NotNull(await Engine.GetNamespaceAsync(Account, Ns.Id, CancellationToken.None));
    }

    [Fact]
    public async Task The_change_log_records_puts_and_deletes_in_version_order()
    {
        long start = Engine.HeadVersion;
        long v1 = await Put("a", "1", ttl: "100");
        await Kv.DeleteAsync(Ns, "a", Writer);
        await Kv.DeleteAsync(Ns, "a", Writer); // deleting a missing key changes nothing
        var changes = await Engine.ReadChangesAsync(start, 10, CancellationToken.None);
        Assert.Equal([ChangeKind.Put, ChangeKind.Delete], changes.Select(c => c.Kind));
        Assert.Equal(v1, changes[0].Version);
        Assert.Equal(Now + 100, changes[0].Expiration);
        Assert.Equal(v1 + 1, changes[1].Version);
        Assert.All(changes, c => Assert.Equal(Ns.Id, c.NamespaceId));
    }

    // ---- conditional writes (Kivi's addition) ----

    private Task<long> PutIf(string key, string value, string? ifMatch = null, string? ifNoneMatch = null, string? ttl = null) =>
        Kv.PutAsync(Ns, new PutRequest(key, ValueBuffer.FromBytes(Encoding.UTF8.GetBytes(value)), null, ttl, default, ifMatch, ifNoneMatch), Writer);

    [Fact]
    public async Task If_none_match_star_creates_once_and_refuses_an_existing_key()
    {
        long created = await PutIf("lock", "first", ifNoneMatch: "*");
        var e = await Refused(() => PutIf("lock", "second", ifNoneMatch: "*"));
        Assert.Equal((412, KvErrorCode.PreconditionFailed), (e.StatusCode, e.Code));
        Assert.Equal("first", await Get("lock"));
        Assert.Equal(created, ((await Kv.GetInfoAsync(Ns, "lock", default, CancellationToken.None)).Value)!.Version);
    }

    [Fact]
    public async Task If_none_match_star_treats_an_expired_entry_as_absent()
    {
        await Put("lease", "old", ttl: "60");
        Clock.Advance(TimeSpan.FromSeconds(61));
        await PutIf("lease", "new", ifNoneMatch: "*");
        Assert.Equal("new", await Get("lease"));
    }

    [Fact]
    public async Task If_match_writes_only_over_the_named_version()
    {
        long v1 = await Put("counter", "1");
        long v2 = await PutIf("counter", "2", ifMatch: $"\"{v1}\"");
        Assert.True(v2 > v1);
        var e = await Refused(() => PutIf("counter", "3", ifMatch: v1.ToString(System.Globalization.CultureInfo.InvariantCulture))); // stale version
        Assert.Equal(412, e.StatusCode);
        Assert.Equal("2", await Get("counter"));
        await Refused(() => PutIf("absent", "x", ifMatch: $"\"{v2}\"")); // no entry matches any version
        Assert.Null(await Get("absent"));
        long head = Engine.HeadVersion;
        await Refused(() => PutIf("counter", "4", ifMatch: "\"1\""));
        Assert.Equal(head, Engine.HeadVersion); // a refused write takes no version and logs no change
    }

    [Fact]
    public async Task A_delete_with_if_match_removes_only_the_named_version()
    {
        long v1 = await Put("flag", "on");
        long v2 = await Put("flag", "off");
        long head = Engine.HeadVersion;
        var e = await Refused(() => Kv.DeleteAsync(Ns, "flag", Writer, ifMatch: $"\"{v1}\"")); // someone wrote since v1
        Assert.Equal((412, KvErrorCode.PreconditionFailed), (e.StatusCode, e.Code));
        Assert.Equal("off", await Get("flag"));
        Assert.Equal(head, Engine.HeadVersion); // refused: no version, no change logged
        await Refused(() => Kv.DeleteAsync(Ns, "missing", Writer, ifMatch: $"\"{v2}\"")); // no live entry matches any version
        Assert.Equal(400, (await Refused(() => Kv.DeleteAsync(Ns, "flag", Writer, ifNoneMatch: "*"))).StatusCode);
        await Kv.DeleteAsync(Ns, "flag", Writer, ifMatch: $"\"{v2}\"");
        Assert.Null(await Get("flag"));
    }

    [Fact]
    public async Task Concurrent_conditional_creates_have_exactly_one_winner()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            try
            {
                await PutIf("only-once", $"writer {i}", ifNoneMatch: "*");
                return true;
            }
            catch (KvException e) when (e.StatusCode == 412)
            {
                return false;
            }
        }));
        Assert.Single(outcomes, won => won);
    }

    [Theory]
    [InlineData("abc", null)]
    [InlineData("W/\"3\"", null)]
    [InlineData(null, "\"3\"")]
    [InlineData("\"3\"", "*")]
    public async Task Malformed_preconditions_are_refused_with_a_400(string? ifMatch, string? ifNoneMatch)
    {
        var e = await Refused(() => PutIf("k", "v", ifMatch, ifNoneMatch));
        Assert.Equal(400, e.StatusCode);
        Assert.Null(await Get("k"));
    }
}
