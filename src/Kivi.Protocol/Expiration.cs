using System.Globalization;

namespace Kivi.Protocol;

/// <summary>Expiration arithmetic: absolute epoch seconds or a TTL, Workers KV's rules and texts.</summary>
public static class Expiration
{
    /// <summary>
    /// Resolves the absolute expiration (epoch seconds) of a write from the raw texts a client sent.
    /// When both are given the TTL wins, as in Cloudflare's REST API. Null means the entry never expires.
    /// </summary>
    public static long? Resolve(string? expiration, string? expirationTtl, long nowSeconds, KvLimits limits)
    {
        if (!string.IsNullOrEmpty(expirationTtl))
        {
            if (!TryParseInteger(expirationTtl, out long ttl, out bool overflow) && !overflow)
                throw KvErrors.ExpirationTtlNotPositive(expirationTtl);
            if (!overflow && ttl <= 0) throw KvErrors.ExpirationTtlNotPositive(expirationTtl);
            long maxTtl = limits.MaxExpirationEpochSeconds - nowSeconds;
            if (overflow || ttl > maxTtl) throw KvErrors.ExpirationTtlTooLarge(expirationTtl, maxTtl);
            if (ttl < limits.MinExpirationTtlSeconds) throw KvErrors.ExpirationTtlTooSmall(expirationTtl, limits.MinExpirationTtlSeconds);
            return nowSeconds + ttl;
        }
        if (!string.IsNullOrEmpty(expiration))
        {
            if (!TryParseInteger(expiration, out long at, out bool overflow) && !overflow)
                throw KvErrors.ExpirationNotFuture(expiration);
            if (overflow && expiration.TrimStart().StartsWith('-')) throw KvErrors.ExpirationNotFuture(expiration);
            if (overflow || at > limits.MaxExpirationEpochSeconds) throw KvErrors.ExpirationTooLate(expiration, limits.MaxExpirationEpochSeconds);
            if (at <= nowSeconds) throw KvErrors.ExpirationNotFuture(expiration);
            if (at < nowSeconds + limits.MinExpirationTtlSeconds) throw KvErrors.ExpirationTooSoon(expiration, limits.MinExpirationTtlSeconds);
            return at;
        }
        return null;
    }

    /// <summary>True when an entry with this expiration is no longer visible at <paramref name="nowSeconds"/>.</summary>
    public static bool IsExpired(long? expiration, long nowSeconds) => expiration is { } e && e <= nowSeconds;

    /// <summary>Checks a per-read cache TTL (binding <c>cache_ttl</c>, bulk <c>cacheTtl</c>); returns its seconds.</summary>
    public static long ParseCacheTtl(string raw, KvLimits limits)
    {
        if (!TryParseInteger(raw, out long ttl, out bool overflow) && !overflow)
            // Not a number reads as 0, as in Workers KV (NaN); a number that is no whole number of seconds (1.5, 1e309) says so.
            throw double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
                ? KvErrors.CacheTtlNotWhole(raw, limits.MinCacheTtlSeconds)
                : KvErrors.CacheTtlInvalid("0", limits.MinCacheTtlSeconds);
        if (overflow) return long.MaxValue;
        if (ttl < limits.MinCacheTtlSeconds) throw KvErrors.CacheTtlInvalid(raw, limits.MinCacheTtlSeconds);
        return ttl;
    }

    /// <summary>Checks a cacheTtl given as a duration (the SDK's); returns it.</summary>
    public static TimeSpan CheckCacheTtl(TimeSpan ttl, KvLimits limits)
    {
        if (ttl < TimeSpan.FromSeconds(limits.MinCacheTtlSeconds))
            throw KvErrors.CacheTtlInvalid(((long)ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture), limits.MinCacheTtlSeconds);
        return ttl;
    }

    /// <summary>Parses a whole number, allowing a fractional ".0" part such as JavaScript numbers print.</summary>
    public static bool TryParseInteger(string text, out long value, out bool overflow)
    {
        overflow = false;
        var span = text.AsSpan().Trim();
        int dot = span.IndexOf('.');
        if (dot >= 0)
        {
            foreach (char c in span[(dot + 1)..])
                if (c != '0') { value = 0; return false; }
            span = span[..dot];
        }
        if (long.TryParse(span, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return true;
        // A run of digits too long for 64 bits is an out-of-range number, not a malformed one.
        var digits = span.Length > 0 && (span[0] == '-' || span[0] == '+') ? span[1..] : span;
        overflow = digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
        return false;
    }
}
