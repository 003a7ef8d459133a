using Kivi.Protocol;

namespace Kivi.Core.Tests;

public sealed class ExpirationTests
{
    private const long Now = 1_800_000_000;

    [Theory]
    [InlineData("60", Now + 60)]
    [InlineData("60.0", Now + 60)]
    [InlineData(" 120 ", Now + 120)]
    public void A_ttl_of_at_least_60_resolves_to_now_plus_the_ttl(string ttl, long expected) =>
        Assert.Equal(expected, Expiration.Resolve(null, ttl, Now, KvLimits.WorkersKv));

    [Fact]
    public void No_expiration_means_never() => Assert.Null(Expiration.Resolve(null, null, Now, KvLimits.WorkersKv));

    [Fact]
    public void Expiry_is_inclusive_of_its_second()
    {
        Assert.False(Expiration.IsExpired(Now + 1, Now));
        Assert.True(Expiration.IsExpired(Now, Now));
        Assert.False(Expiration.IsExpired(null, Now));
    }

    [Theory]
    [InlineData("30", "Invalid cache_ttl of 30. Cache TTL must be at least 30.", false)]
    [InlineData("10", "Invalid cache_ttl of 10. Cache TTL must be at least 30.", true)]
    [InlineData("abc", "Invalid cache_ttl of 0. Cache TTL must be at least 30.", true)]
    public void Cache_ttls_below_30_are_refused_and_nan_reads_as_zero(string raw, string message, bool refused)
    {
        if (!refused)
        {
            Assert.Equal(30, Expiration.ParseCacheTtl(raw, KvLimits.WorkersKv));
            return;
        }
        Assert.Equal(message, Assert.Throws<KvException>(() => Expiration.ParseCacheTtl(raw, KvLimits.WorkersKv)).Message);
    }

    [Fact]
    public void Limits_are_settings_so_a_smaller_minimum_ttl_applies_when_configured()
    {
        var limits = KvLimits.WorkersKv with { MinExpirationTtlSeconds = 10 };
        Assert.Equal(Now + 10, Expiration.Resolve(null, "10", Now, limits));
        Assert.Throws<KvException>(() => Expiration.Resolve(null, "9", Now, limits));
    }
}
