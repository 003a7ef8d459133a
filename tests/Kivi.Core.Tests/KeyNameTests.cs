using Kivi.Protocol;

namespace Kivi.Core.Tests;

public sealed class KeyNameTests
{
    [Fact]
    public void A_key_is_stored_as_its_utf8_bytes() =>
        Assert.Equal("€/a"u8.ToArray(), KeyName.ToUtf8("€/a", KvLimits.WorkersKv));

    [Theory]
    [InlineData("a")]
    [InlineData("€/a")]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("a\0b")]
    public void The_rules_on_bytes_agree_with_the_rules_on_text(string key)
    {
        var limits = new KvLimits { MaxKeyBytes = 4 };
        bool accepted;
        try
        {
            KeyName.ToUtf8(key, limits);
            accepted = true;
        }
        catch (KvException)
        {
            accepted = false;
        }
        Assert.Equal(accepted, KeyName.IsKey(System.Text.Encoding.UTF8.GetBytes(key), limits));
        Assert.False(KeyName.IsKey(System.Text.Encoding.UTF8.GetBytes(key + "longer"), limits)); // past the limit
    }

    [Fact]
    public void Invalid_utf8_bytes_are_refused_not_replaced()
    {
        var e = Assert.Throws<KvException>(() => KeyName.FromUtf8([0x61, 0xFF]));
        Assert.Equal("Could not URL-decode key name", e.Message);
    }

    [Fact]
    public void A_cursor_round_trips_and_garbage_is_refused()
    {
        var key = "user/😀"u8.ToArray();
        Assert.Equal(key, ListCursor.Decode(ListCursor.Encode(key)));
        Assert.Null(ListCursor.Decode(""));
        Assert.Throws<KvException>(() => ListCursor.Decode("***"));
        Assert.Throws<KvException>(() => ListCursor.Decode(new string('A', 2000)));
    }

    [Fact]
    public void Metadata_is_normalised_to_compact_json()
    {
        Assert.Equal("{\"a\":[1,2],\"b\":\"é\"}", Metadata.Normalize("{ \"a\" : [ 1 , 2 ], \"b\": \"é\" }", KvLimits.WorkersKv));
        Assert.Null(Metadata.Normalize(" null ", KvLimits.WorkersKv));
        Assert.Throws<KvException>(() => Metadata.Normalize("{} {}", KvLimits.WorkersKv));
    }

    [Fact]
    public async Task A_value_buffer_stops_reading_past_its_limit()
    {
        using var source = new MemoryStream(new byte[200_000]);
        var e = await Assert.ThrowsAsync<KvException>(() => ValueBuffer.ReadAsync(source, 100_000, n => KvErrors.ValueTooLarge(n, 100_000), CancellationToken.None));
        Assert.Equal(413, e.StatusCode);
        Assert.True(source.Position < 200_000);
    }

    [Fact]
    public async Task A_value_buffer_holds_exactly_what_was_read_across_segments()
    {
        var bytes = new byte[200_003];
        Random.Shared.NextBytes(bytes);
        using var buffer = await ValueBuffer.ReadAsync(new MemoryStream(bytes), bytes.Length, n => new InvalidOperationException(), CancellationToken.None);
        Assert.Equal(bytes.Length, buffer.Length);
        Assert.Equal(bytes, buffer.ToArray());
        Assert.Equal(4, buffer.Segments.Count());
    }
}
