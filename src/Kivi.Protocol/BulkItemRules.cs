using System.Text;
using System.Text.Json;

namespace Kivi.Protocol;

/// <summary>A bulk-write item that passed <see cref="BulkItemRules.Check"/>: the key's and value's bytes, compact metadata, the absolute expiration.</summary>
public readonly record struct CheckedBulkItem(byte[] Key, byte[] Value, string? Metadata, long? Expiration);

/// <summary>
/// The rules of one bulk-write item (<c>{key, value, base64?, expiration?, expiration_ttl?, metadata?}</c>: Cloudflare's
/// bulk write, wrangler's bulk files and Kivi's exports), the same for the server and for the CLI checking a file
/// before it sends any of it.
/// </summary>
public static class BulkItemRules
{
    /// <summary>The fields an item may have; any other is refused, never dropped.</summary>
    public static readonly string[] Fields = ["key", "value", "base64", "expiration", "expiration_ttl", "metadata"];

    /// <summary>Checks an item against <paramref name="limits"/> at <paramref name="now"/> (epoch seconds); the problem is the exception's message.</summary>
    public static CheckedBulkItem Check(BulkWriteItem? item, long now, KvLimits limits)
    {
        if (item is null) throw KvErrors.BulkItemInvalid("expected an object with \"key\" and \"value\".");
        if (item.Unknown is { Count: > 0 } unknown)
            throw KvErrors.BulkItemInvalid($"unknown field \"{unknown.Keys.First()}\" (an item may have {string.Join(", ", Fields)}).");
        var key = KeyName.ToUtf8(item.Key, limits);
        if (item.Value is null) throw KvErrors.BulkItemInvalid("\"value\" is required and must be a string.");
        if (!item.Base64 && Encoding.UTF8.GetByteCount(item.Value) is var length && length > limits.MaxValueBytes)
            throw KvErrors.ValueTooLarge(length, limits.MaxValueBytes); // counted first: no copy of a value it refuses
        var value = item.Base64 ? DecodeBase64(item.Value) : Encoding.UTF8.GetBytes(item.Value);
        if (value.Length > limits.MaxValueBytes) throw KvErrors.ValueTooLarge(value.Length, limits.MaxValueBytes);
        var metadata = Metadata.Normalize(item.Metadata, limits);
        var expiration = Kivi.Protocol.Expiration.Resolve(NumberText(item.Expiration, "expiration"), NumberText(item.ExpirationTtl, "expiration_ttl"), now, limits);
        return new CheckedBulkItem(key, value, metadata, expiration);
    }

    /// <summary>The absolute expiration an item asks for, without checking it (null when it gives a TTL or none).</summary>
    public static long? AbsoluteExpiration(BulkWriteItem item) =>
        item.ExpirationTtl is { ValueKind: not JsonValueKind.Null } ? null
        : NumberText(item.Expiration, "expiration") is { } text && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out long at) ? at : null;

    internal static byte[] DecodeBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw KvErrors.ValueNotBase64();
        }
    }

    /// <summary>Items carry expirations as JSON numbers (or numeric strings); the expiration rules take text.</summary>
    private static string? NumberText(JsonElement? element, string name) => element switch
    {
        null => null,
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Number } e => e.GetRawText(),
        { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => throw KvErrors.InvalidRequest($"\"{name}\" must be a number of seconds."),
    };
}
