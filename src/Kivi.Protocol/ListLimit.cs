using System.Globalization;

namespace Kivi.Protocol;

/// <summary>
/// The page size of a key listing: <c>limit</c> on the binding (1 to 1000) and <c>key_count_limit</c> on REST
/// (10 to 1000, as Cloudflare's OpenAPI states), Workers KV's texts either way.
/// </summary>
public static class ListLimit
{
    /// <summary>The page size asked for as text; empty means the largest page.</summary>
    public static int Parse(string? raw, int minLimit, KvLimits limits)
    {
        if (string.IsNullOrEmpty(raw)) return limits.MaxListLimit;
        if (!Expiration.TryParseInteger(raw, out long n, out bool overflow))
        {
            if (overflow && !raw.TrimStart().StartsWith('-')) throw KvErrors.ListLimitTooLarge(raw, limits.MaxListLimit);
            throw KvErrors.ListLimitTooSmall(raw, minLimit);
        }
        return Check(n, minLimit, limits, raw);
    }

    /// <summary>The page size asked for as a number (the SDK's).</summary>
    public static int Check(long limit, int minLimit, KvLimits limits, string? raw = null)
    {
        if (limit > limits.MaxListLimit) throw KvErrors.ListLimitTooLarge(raw ?? Text(limit), limits.MaxListLimit);
        if (limit < minLimit) throw KvErrors.ListLimitTooSmall(raw ?? Text(limit), minLimit);
        return (int)limit;
    }

    private static string Text(long limit) => limit.ToString(CultureInfo.InvariantCulture);
}
