using System.Globalization;
using Kivi.Protocol;

namespace Kivi.Server.Quotas;

/// <summary>
/// One quota, from <c>--quota</c>: for an account or a namespace (by id, or <c>*</c> for each one), per UTC day or
/// month, a limit for each kind of operation named, and optionally for storage (keys and bytes, whatever the period).
/// <c>account:*:day:reads=100000,writes=1000,deletes=1000,lists=1000</c> is Workers KV's free plan.
/// </summary>
internal sealed record QuotaRule(bool Account, string Id, bool Monthly, IReadOnlyDictionary<UsageKind, long> Operations, long? StorageKeys, long? StorageBytes)
{
    public const string Syntax = "account|namespace:ID|*:day|month:KIND=N,... with KIND reads, writes, deletes, lists, storage_keys or storage_bytes; rules separated by ';'";

    /// <summary>Whether the rule covers <paramref name="accountId"/> / <paramref name="namespaceId"/>, and under which id it counts.</summary>
    public string? ScopeOf(string accountId, string namespaceId)
    {
        string id = Account ? accountId : namespaceId;
        return Id == "*" || Id == id ? id : null;
    }

    /// <summary>The start of the period holding <paramref name="now"/>, and the start of the next.</summary>
    public (DateTimeOffset Start, DateTimeOffset End) Period(DateTimeOffset now)
    {
        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        if (!Monthly) return (day, day.AddDays(1));
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return (month, month.AddMonths(1));
    }

    /// <summary>Parses the rules of <c>--quota</c>; throws <see cref="KiviOptionsException"/> naming what is wrong.</summary>
    public static IReadOnlyList<QuotaRule> Parse(string? text)
    {
        var rules = new List<QuotaRule>();
        foreach (string rule in (text ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = rule.Split(':', StringSplitOptions.TrimEntries);
            if (parts.Length != 4 || parts[0] is not ("account" or "namespace") || parts[1].Length == 0 || parts[2] is not ("day" or "month"))
                throw Bad(rule);
            var operations = new Dictionary<UsageKind, long>();
            long? keys = null, bytes = null;
            foreach (string limit in parts[3].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = limit.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0 || !long.TryParse(limit[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long n)) throw Bad(rule);
                switch (limit[..eq])
                {
                    case "reads": operations[UsageKind.Reads] = n; break;
                    case "writes": operations[UsageKind.Writes] = n; break;
                    case "deletes": operations[UsageKind.Deletes] = n; break;
                    case "lists": operations[UsageKind.Lists] = n; break;
                    case "storage_keys": keys = n; break;
                    case "storage_bytes": bytes = n; break;
                    default: throw Bad(rule);
                }
            }
            if (operations.Count == 0 && keys is null && bytes is null) throw Bad(rule);
            rules.Add(new QuotaRule(parts[0] == "account", parts[1], parts[2] == "month", operations, keys, bytes));
        }
        return rules;
    }

    private static KiviOptionsException Bad(string rule) => new($"--quota \"{rule}\" is not a quota: write {Syntax}.");
}
