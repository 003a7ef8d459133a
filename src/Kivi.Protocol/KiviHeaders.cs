namespace Kivi.Protocol;

/// <summary>Header names on Kivi's wire: Cloudflare's, plus Kivi's own additions.</summary>
public static class KiviHeaders
{
    /// <summary>Epoch seconds at which a value expires, on a REST value read.</summary>
    public const string Expiration = "expiration";
    /// <summary>The version of the entry a response carries (also sent as a strong ETag).</summary>
    public const string Version = "Kivi-Version";
    /// <summary>Metadata JSON on the workerd binding protocol.</summary>
    public const string CfKvMetadata = "CF-KV-Metadata";
    /// <summary>Expiration in epoch seconds on the workerd binding protocol.</summary>
    public const string CfExpiration = "CF-Expiration";
    /// <summary>Namespace id injected by a workerd external service.</summary>
    public const string Namespace = "X-Kivi-Namespace";

    /// <summary>On reads: the store position the answer reflects (every change up to it is included), on hits and misses.</summary>
    public const string Head = "Kivi-Head";

    /// <summary>On reads: the identity of the store the answer comes from (<see cref="StoreLineage.StoreId"/>).</summary>
    public const string Store = "Kivi-Store";

    /// <summary>
    /// Beside <see cref="Store"/> on reads, and on every write's answer: the store's epoch when it answered
    /// (<see cref="StoreLineage.CurrentEpoch"/>). A cache that installs the answer notes it, so when its feed
    /// resumes the upstream can tell whether what it holds belongs to a history the store has since lost.
    /// </summary>
    public const string Epoch = "Kivi-Epoch";

    /// <summary>On a read an edge served past its cacheTtl because its upstream failed: seconds since it was known current.</summary>
    public const string Stale = "Kivi-Stale";

    /// <summary>On a binding protocol error: the REST API's error code for the same failure (workerd ignores it; the .NET SDK reads it).</summary>
    public const string ErrorCode = "Kivi-Error-Code";

    /// <summary>
    /// JSON for a header (CF-KV-Metadata): non-ASCII characters escaped as \uXXXX, so the value survives any
    /// HTTP stack and parses to the same JSON. ASCII-only JSON is returned as it is.
    /// </summary>
    public static string AsciiJson(string json)
    {
        foreach (char c in json)
        {
            if (c > '~')
            {
                using var doc = System.Text.Json.JsonDocument.Parse(json);
                return System.Text.Json.JsonSerializer.Serialize(doc.RootElement, AsciiOptions);
            }
        }
        return json;
    }

    private static readonly System.Text.Json.JsonSerializerOptions AsciiOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default };
}
