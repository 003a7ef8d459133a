using System.Globalization;
using Kivi.Core;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>Query-string helpers that refuse malformed numbers with a message naming the parameter.</summary>
internal static class Query
{
    public static string? Text(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    public static int Int(IQueryCollection query, string name, int fallback)
    {
        string? raw = Text(query, name);
        if (string.IsNullOrEmpty(raw)) return fallback;
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            throw KvErrors.InvalidRequest($"{name} must be a positive whole number, not \"{raw}\".");
        return value;
    }
}
