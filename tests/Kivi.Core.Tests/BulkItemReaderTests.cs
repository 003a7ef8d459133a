using System.Buffers;
using System.Text;
using System.Text.Json;
using Kivi.Protocol;

namespace Kivi.Core.Tests;

/// <summary>
/// The bulk reader that checks items while it reads must accept the usual items and, whatever it accepts, give
/// exactly what the exact path (deserialise, then <see cref="BulkItemRules.Check"/>) gives; anything else it leaves
/// to the exact path.
/// </summary>
public sealed class BulkItemReaderTests
{
    private const long Now = 1_800_000_000;
    private static readonly KvLimits Limits = new() { MaxKeyBytes = 16, MaxValueBytes = 12, MaxMetadataBytes = 24, MaxBulkWritePairs = 3 };

    /// <summary>Items the reader takes itself (every one of them is also accepted by the exact path).</summary>
    public static TheoryData<string> Usual => new(UsualItems);

    private static readonly string[] UsualItems =
    [
        """{"key":"a","value":"b"}""",
        """ { "key" : "a" , "value" : "" } """,
        """{"value":"b","key":"a"}""",
        """{"key":"k\"q\\","value":"line\n\t\u00e9"}""",
        """{"key":"\ud83d\ude00","value":"\u0041\/"}""",
        """{"key":"ключ","value":"знач"}""",
        """{"k\u0065y":"a","value":"b"}""",
        """{"key":"0123456789abcdef","value":"0123456789ab"}""",
        """{"key":"a","value":"aGVsbG8=","base64":true}""",
        """{"base64":true,"key":"a","value":"MDEyMzQ1Njc4OWFi"}""",
        """{"key":"a","value":"b","base64":false}""",
        """{"key":"a","value":"b","expiration_ttl":3600}""",
        """{"key":"a","value":"b","expiration_ttl":"60"}""",
        """{"key":"a","value":"b","expiration":1800003600}""",
        """{"key":"a","value":"b","expiration":"1800003600"}""",
        """{"key":"a","value":"b","expiration":1800000001,"expiration_ttl":120}""",
        """{"key":"a","value":"b","expiration":null,"expiration_ttl":null}""",
        """{"key":"a","value":"b","expiration":""}""",
        """{"key":"a","value":"b","metadata":{"a": 1, "b" : [true, null]}}""",
        """{"key":"a","value":"b","metadata":"t\u00e9xt"}""",
        """{"key":"a","value":"b","metadata":12.5e1}""",
        """{"key":"a","value":"b","metadata":false}""",
        """{"key":"a","value":"b","metadata":null}""",
    ];

    /// <summary>Items the reader leaves to the exact path: refused there with its message, or unusual (a field twice).</summary>
    public static TheoryData<string> Unusual => new()
    {
        """{"key":"a","key":"b","value":"c"}""",
        """{"key":"a","value":"b","metadata":1,"metadata":2}""",
        """{"key":"a","value":"b","extra":1}""",
        """{"Key":"a","value":"b"}""",
        """{"value":"b"}""",
        """{"key":"a"}""",
        """{"key":"","value":"b"}""",
        """{"key":".","value":"b"}""",
        """{"key":"..","value":"b"}""",
        """{"key":"a\u0000","value":"b"}""",
        """{"key":"0123456789abcdefg","value":"b"}""",
        """{"key":"\ud800","value":"b"}""",
        """{"key":"a","value":"\udc00x"}""",
        """{"key":1,"value":"b"}""",
        """{"key":"a","value":null}""",
        """{"key":"a","value":7}""",
        """{"key":"a","value":"0123456789abc"}""",
        """{"key":"a","value":"MDEyMzQ1Njc4OWFiYw==","base64":true}""",
        """{"key":"a","value":"not base64!","base64":true}""",
        """{"key":"a","value":"b","base64":"true"}""",
        """{"key":"a","value":"b","base64":null}""",
        """{"key":"a","value":"b","expiration_ttl":59}""",
        """{"key":"a","value":"b","expiration_ttl":-1}""",
        """{"key":"a","value":"b","expiration_ttl":{}}""",
        """{"key":"a","value":"b","expiration":1700000000}""",
        """{"key":"a","value":"b","expiration":[1]}""",
        """{"key":"a","value":"b","metadata":{"much":"too long for the limit"}}""",
        """{"key":"a","value":"b",}""",
        """{"key":"a","value":"b"/* no */}""",
        """{"key":"a","value":"b"} x""",
        """null""",
        """["a","b"]""",
        "",
    };

    [Theory]
    [MemberData(nameof(Usual))]
    public void A_usual_item_is_read_without_the_exact_path_and_gives_what_it_gives(string json)
    {
        var exact = Exact(Encoding.UTF8.GetBytes(json));
        Assert.True(exact.Item is not null, $"the exact path refused it: {exact.Error}");
        Assert.True(BulkItemReader.TryRead(Encoding.UTF8.GetBytes(json), Now, Limits, out var item));
        AssertSame(exact.Item.Value, item);
    }

    [Theory]
    [MemberData(nameof(Unusual))]
    public void An_item_with_a_problem_or_an_unusual_form_is_left_to_the_exact_path(string json) =>
        Assert.False(BulkItemReader.TryRead(Encoding.UTF8.GetBytes(json), Now, Limits, out _));

    [Theory]
    [InlineData(new byte[] { 0xFF })] // not UTF-8 at all
    [InlineData(new byte[] { 0xC3 })] // a sequence cut short
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // an encoded surrogate
    public void A_key_value_or_metadata_that_is_not_utf8_is_left_to_the_exact_path(byte[] bad)
    {
        foreach (var (before, after) in new[] { ("""{"key":"a""", "\",\"value\":\"b\"}"), ("""{"key":"a","value":"a""", "\"}"), ("""{"key":"a","value":"b","metadata":"a""", "\"}") })
        {
            byte[] With(byte[] middle) => [.. Encoding.UTF8.GetBytes(before), .. middle, .. Encoding.UTF8.GetBytes(after)];
            Assert.True(BulkItemReader.TryRead(With("é"u8.ToArray()), Now, Limits, out _), before); // the same item, in UTF-8
            Assert.False(BulkItemReader.TryRead(With(bad), Now, Limits, out _), before);
        }
    }

    [Fact]
    public void A_body_of_usual_items_split_anywhere_is_read_as_when_whole()
    {
        string body = "[" + string.Join(",", UsualItems.Take(3)) + "]";
        var bytes = Encoding.UTF8.GetBytes(body);
        var whole = BulkItemReader.TryReadArray(new ReadOnlySequence<byte>(bytes), Now, Limits);
        Assert.NotNull(whole);
        Assert.Equal(3, whole.Count);
        for (int size = 1; size <= 8; size++)
        {
            var split = BulkItemReader.TryReadArray(Segments(bytes, size), Now, Limits);
            Assert.NotNull(split);
            Assert.Equal(whole.Count, split.Count);
            for (int i = 0; i < whole.Count; i++) AssertSame(whole[i], split[i]);
        }
    }

    [Fact]
    public void A_body_with_metadata_and_escapes_split_into_bytes_is_read_as_when_whole()
    {
        var bytes = Encoding.UTF8.GetBytes("""[{"key":"k\"q","value":"\u00e9x","metadata":{"a": [1, 2]},"expiration_ttl":3600}]""");
        var whole = BulkItemReader.TryReadArray(new ReadOnlySequence<byte>(bytes), Now, Limits)!;
        var split = BulkItemReader.TryReadArray(Segments(bytes, 1), Now, Limits)!;
        AssertSame(whole.Single(), split.Single());
        Assert.Equal("""{"a":[1,2]}""", split.Single().Metadata);
    }

    [Theory]
    [InlineData("[]", 0)]
    [InlineData(""" [ {"key":"a","value":"b"} ] """, 1)]
    [InlineData("""[{"key":"a","value":"b"},{"key":"b","value":"c"},{"key":"c","value":"d"}]""", 3)]
    [InlineData("""[{"key":"a","value":"b"},{"key":"b","value":"c"},{"key":"c","value":"d"},{"key":"d","value":"e"}]""", -1)] // over the limit of 3
    [InlineData("""[{"key":"a","value":"b"},{"key":"","value":"c"}]""", -1)]
    [InlineData("""[{"key":"a","value":"b"},null]""", -1)]
    [InlineData("""[{"key":"a","value":"b"}] []""", -1)]
    [InlineData("""[{"key":"a","value":"b"},]""", -1)]
    [InlineData("""[{"key":"a","value":"b"}""", -1)]
    [InlineData("""{"key":"a","value":"b"}""", -1)]
    [InlineData("", -1)]
    public void A_body_is_read_only_when_all_of_it_is_fine(string body, int count)
    {
        var items = BulkItemReader.TryReadArray(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(body)), Now, Limits);
        if (count < 0) Assert.Null(items);
        else Assert.Equal(count, items!.Count);
    }

    private static void AssertSame(CheckedBulkItem expected, CheckedBulkItem actual)
    {
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Metadata, actual.Metadata);
        Assert.Equal(expected.Expiration, actual.Expiration);
    }

    private static (CheckedBulkItem? Item, string? Error) Exact(byte[] json)
    {
        try
        {
            return (BulkItemRules.Check(JsonSerializer.Deserialize(json, KiviProtocolJsonContext.Default.BulkWriteItem), Now, Limits), null);
        }
        catch (Exception e) when (e is KvException or JsonException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The bytes as a sequence of segments of <paramref name="size"/> bytes, so tokens cross segments.</summary>
    private static ReadOnlySequence<byte> Segments(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (int at = 0; at < bytes.Length; at += size)
        {
            var next = new Segment(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            if (last is null) first = next;
            else last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public new Segment? Next
        {
            get => (Segment?)base.Next;
            set => base.Next = value;
        }
    }
}
