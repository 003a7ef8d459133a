using Kivi.Protocol;
using System.Globalization;
using Kivi.Core;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>Query-string helpers that refuse malformed numbers with a message naming the parameter.</summary>
internal static class Query
{
    /// <summary>A parameter's value, or null when absent; given twice it is refused (which one was meant is unknowable).</summary>
    public static string? Text(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0) return null;
        if (values.Count > 1) throw KvErrors.InvalidRequest($"The query parameter \"{name}\" is given {values.Count} times; give it once.");
        return values[0];
    }

    /// <summary>
    /// As <see cref="Text"/>, for a parameter that must be well-formed UTF-8 (a key prefix): ASP.NET Core leaves
    /// escapes of invalid UTF-8 undecoded (or turns them into U+FFFD), which would silently match nothing, so
    /// such a value is checked against the raw query string and refused.
    /// </summary>
    public static string? Utf8Text(HttpRequest request, string name)
    {
        string? value = Text(request.Query, name);
        if (value is null || value.AsSpan().IndexOfAny('%', '\uFFFD') < 0) return value;
        foreach (var part in (request.QueryString.Value ?? "").TrimStart('?').Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0 || !Uri.UnescapeDataString(part[..eq]).Equals(name, StringComparison.Ordinal)) continue;
            string raw = part[(eq + 1)..];
            var bytes = new byte[raw.Length];
            int n = RawKey.PercentDecode(raw, bytes, plusIsSpace: true);
            if (n < 0 || !System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(0, n)))
                throw KvErrors.InvalidRequest($"The {name} is not valid UTF-8 once percent-decoded (\"{raw}\"); keys and prefixes are UTF-8 text, with \"%\" itself sent as %25.");
        }
        return value;
    }

    public static int Int(IQueryCollection query, string name, int fallback)
    {
        string? raw = Text(query, name);
        if (string.IsNullOrEmpty(raw)) return fallback;
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            throw KvErrors.InvalidRequest($"{name} must be a positive whole number, not \"{raw}\".");
        return value;
    }

    /// <summary>A point in time given as ISO 8601 (UTC unless it says otherwise) or as Unix seconds; null when absent.</summary>
    public static DateTimeOffset? Time(IQueryCollection query, string name)
    {
        string? raw = Text(query, name);
        if (string.IsNullOrEmpty(raw)) return null;
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) && seconds <= 253402300799)
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)) return time;
        throw KvErrors.InvalidRequest($"{name} must be a time in ISO 8601 (2026-11-30T12:00:00Z) or in Unix seconds, not \"{raw}\".");
    }
}
