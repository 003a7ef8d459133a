using Kivi.Protocol;
using System.Globalization;
using Kivi.Core.Storage;

namespace Kivi.Core;

/// <summary>Parses a conditional write's headers: <c>If-Match: "42"</c> (or 42) and <c>If-None-Match: *</c>.</summary>
public static class Conditions
{
    public static Precondition? Parse(string? ifMatch, string? ifNoneMatch, long now)
    {
        if (string.IsNullOrEmpty(ifMatch) && string.IsNullOrEmpty(ifNoneMatch)) return null;
        if (!string.IsNullOrEmpty(ifMatch) && !string.IsNullOrEmpty(ifNoneMatch))
            throw KvErrors.InvalidRequest("Send If-Match or If-None-Match, not both.");
        if (!string.IsNullOrEmpty(ifNoneMatch))
        {
            if (ifNoneMatch.Trim() != "*") throw KvErrors.PreconditionInvalid("If-None-Match", ifNoneMatch);
            return new Precondition(null, true, now);
        }
        var text = ifMatch!.Trim();
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"') text = text[1..^1];
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long version) || version <= 0)
            throw KvErrors.PreconditionInvalid("If-Match", ifMatch);
        return new Precondition(version, false, now);
    }
}
