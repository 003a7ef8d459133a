using System.Buffers;
using System.Text;
using Kivi.Protocol;

namespace Kivi.Core.Tests;

/// <summary>The change feed's line as an origin writes it and an edge reads it back from its bytes.</summary>
public sealed class FeedLineTests
{
    private static readonly StoreLineage Lineage = new("5f0c0a", [new StoreEpoch(7, 0), new StoreEpoch(-9, 40)]);

    private static FeedEvent RoundTrip(FeedEvent e)
    {
        var output = new ArrayBufferWriter<byte>();
        FeedLine.Write(output, e, sse: false);
        Assert.Equal((byte)'\n', output.WrittenSpan[^1]);
        return FeedLine.Parse(output.WrittenMemory[..^1]);
    }

    public static TheoryData<string, byte[]?, string?, long?> Changes => new()
    {
        { "put", "user/1"u8.ToArray(), """{"a":[1,{"b":"c\"d"}]}""", 1_900_000_000 },
        { "put", Encoding.UTF8.GetBytes("k\"\\\n\u00e9\U0001F600"), "\"text\"", null },
        { "put", "k"u8.ToArray(), null, null },
        { "delete", "k"u8.ToArray(), null, null },
        { "expire", "k"u8.ToArray(), null, 1_800_000_000 },
        { "namespace_dropped", null, null, null },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void A_change_reads_back_as_it_was_written(string kindName, byte[]? key, string? metadata, long? expiration)
    {
        var kind = Enum.GetValues<ChangeKind>().Single(k => k != ChangeKind.Reset && FeedLine.Name(k) == kindName);
        byte[]? value = kind == ChangeKind.Put ? [0, 1, 2, 250, (byte)'"'] : null;
        var written = FeedEvent.Change(kind, 42, 45, "0123456789abcdef0123456789abcdef", key, expiration, value, value is null ? null : metadata, "acc");
        var read = RoundTrip(written);
        Assert.Equal(FeedLineType.Change, read.Type);
        Assert.Equal(kind, read.Kind);
        Assert.Equal(42, read.Version);
        Assert.Equal(45, read.Head);
        Assert.Equal(written.NamespaceId, read.NamespaceId);
        Assert.Equal("acc", read.AccountId);
        Assert.Equal(key, read.Key);
        Assert.Equal(expiration, read.Expiration);
        Assert.Equal(value, read.Value);
        Assert.Equal(value is null ? null : metadata, read.Metadata);
    }

    [Fact]
    public void Heartbeats_and_resets_read_back_with_their_lineage()
    {
        var heartbeat = RoundTrip(FeedEvent.Heartbeat(41, Lineage));
        Assert.Equal(FeedLineType.Heartbeat, heartbeat.Type);
        Assert.Equal(41, heartbeat.Head);
        Assert.Equal(Lineage.StoreId, heartbeat.Lineage!.StoreId);
        Assert.Equal(Lineage.History, heartbeat.Lineage.History);
        Assert.Null(RoundTrip(FeedEvent.Heartbeat(3)).Lineage);

        var reset = RoundTrip(FeedEvent.ResetTo(90, Lineage));
        Assert.True(reset.Is(ChangeKind.Reset));
        Assert.Equal(90, reset.Head);
        Assert.Equal(Lineage.History, reset.Lineage!.History);
    }

    [Fact]
    public void Fields_are_read_in_any_order_and_fields_not_known_are_skipped()
    {
        var read = FeedLine.Parse("""{"head":5,"later":{"a":[1,{"b":null}]},"kind":"put","value":"AAE=","namespace":"n","metadata":{ "x" : 1 },"type":"change","version":5,"key":"k\u00e9","account":null,"more":"x"}"""u8.ToArray());
        Assert.Equal(ChangeKind.Put, read.Kind);
        Assert.Equal(5, read.Version);
        Assert.Equal("ké"u8.ToArray(), read.Key);
        Assert.Equal([0, 1], read.Value!);
        Assert.Equal("""{ "x" : 1 }""", read.Metadata); // the value's own text, as the feed sent it
        Assert.Null(read.AccountId);

        var heartbeat = FeedLine.Parse("""{"store":"s","history":[[1,0]],"head":8,"type":"heartbeat"}"""u8.ToArray());
        Assert.Equal(FeedLineType.Heartbeat, heartbeat.Type);
        Assert.Equal(8, heartbeat.Head);
        Assert.Equal("s", heartbeat.Lineage!.StoreId);
    }

    [Theory]
    [InlineData("""{"type":"change","version":1,"namespace":"n","kind":"rename","key":"k"}""")]
    [InlineData("""{"type":"change","namespace":"n","kind":"put","key":"k"}""")]
    [InlineData("""{"type":"change","version":1,"kind":"put","key":"k"}""")]
    [InlineData("""{"type":"change","version":1,"namespace":"n","key":"k"}""")]
    [InlineData("""{"version":1,"namespace":"n","kind":"put","key":"k"}""")]
    [InlineData("""{"type":"snapshot","head":1}""")]
    [InlineData("""{"type":"change","version":"1","namespace":"n","kind":"put"}""")]
    [InlineData("""{"type":"change","version":1,"namespace":"n","kind":"put","key":7}""")]
    [InlineData("""{"type":"change","version":1,"namespace":"n","kind":"put","key":"\ud800"}""")]
    [InlineData("""{"type":"change","version":1,"namespace":"n","kind":"put","value":"not base64"}""")]
    [InlineData("""{"type":"change","version":1,"namespace":"n","kind":"put""")]
    [InlineData("""[1]""")]
    public void A_line_that_is_not_a_feed_line_is_refused(string line) =>
        Assert.ThrowsAny<Exception>(() => FeedLine.Parse(Encoding.UTF8.GetBytes(line)));

    [Fact]
    public void A_key_that_is_not_utf8_is_refused()
    {
        byte[] line = [.. """{"type":"change","version":1,"namespace":"n","kind":"delete","key":"a"""u8, 0xFF, .. "\"}"u8];
        Assert.ThrowsAny<Exception>(() => FeedLine.Parse(line));
    }
}
