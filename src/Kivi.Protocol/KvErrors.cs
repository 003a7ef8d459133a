using System.Globalization;

namespace Kivi.Protocol;

/// <summary>Every error a client can cause, with Workers KV's status and text, made in one place.</summary>
public static class KvErrors
{
    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    public static KvException KeyEmpty() => new(400, KvErrorCode.InvalidKey, "Key names must not be empty");
    public static KvException KeyIllegal(string key) => new(400, KvErrorCode.InvalidKey, $"Illegal key name \"{key}\". Please use a different name.");
    public static KvException KeyTooLong(int bytes, int max) => new(414, KvErrorCode.InvalidKey, $"UTF-8 encoded length of {N(bytes)} exceeds key length limit of {N(max)}.");
    public static KvException KeyHasNul() => new(400, KvErrorCode.InvalidKey, "Key names must not contain U+0000 (NUL): no URL path can address such a key.");
    public static KvException KeyNotDecodable() => new(400, KvErrorCode.InvalidKey, "Could not URL-decode key name");
    public static KvException KeyNotUtf8() => new(400, KvErrorCode.InvalidKey, "Key name is not valid UTF-8 (unpaired surrogate or invalid byte sequence)");

    public static KvException ValueTooLarge(long bytes, long max) => new(413, KvErrorCode.ValueTooLarge, $"Value length of {N(bytes)} exceeds limit of {N(max)}.");
    public static KvException ValueMissing() => new(400, KvErrorCode.InvalidRequest, "A value is required: send it as the request body or as the multipart part named \"value\".");
    public static KvException ValueNotBase64() => new(400, KvErrorCode.InvalidRequest, "Value is marked base64 but is not valid base64.");
    public static KvException MetadataTooLarge(int bytes, int max) => new(413, KvErrorCode.InvalidMetadata, $"Metadata length of {N(bytes)} exceeds limit of {N(max)}.");
    public static KvException MetadataNotUtf8(int at) => new(400, KvErrorCode.InvalidMetadata, $"Metadata must be valid UTF-8 JSON: byte {N(at)} starts an invalid UTF-8 sequence.");
    public static KvException MetadataTooDeep(int max) => new(400, KvErrorCode.InvalidMetadata, $"Metadata nests arrays and objects more than {N(max)} levels deep; the limit is {N(max)}.");
    public static KvException MetadataNotJson() => new(400, KvErrorCode.InvalidMetadata, "Metadata must be valid JSON.");

    public static KvException ExpirationTtlNotPositive(string raw) => new(400, KvErrorCode.InvalidExpiration, $"Invalid expiration_ttl of {raw}. Please specify integer greater than 0.");
    public static KvException ExpirationTtlTooSmall(string raw, int min) => new(400, KvErrorCode.InvalidExpiration, $"Invalid expiration_ttl of {raw}. Expiration TTL must be at least {N(min)}.");
    public static KvException ExpirationTtlTooLarge(string raw, long max) => new(400, KvErrorCode.InvalidExpiration, $"Invalid expiration_ttl of {raw}. Expiration TTL must be at most {N(max)}.");
    public static KvException ExpirationNotFuture(string raw) => new(400, KvErrorCode.InvalidExpiration, $"Invalid expiration of {raw}. Please specify integer greater than the current number of seconds since the UNIX epoch.");
    public static KvException ExpirationTooSoon(string raw, int min) => new(400, KvErrorCode.InvalidExpiration, $"Invalid expiration of {raw}. Expiration times must be at least {N(min)} seconds in the future.");
    public static KvException ExpirationTooLate(string raw, long max) => new(400, KvErrorCode.InvalidExpiration, $"Invalid expiration of {raw}. Expiration times must be at most {N(max)} (9999-12-31T23:59:59Z).");

    public static KvException CacheTtlNotWhole(string raw, int min) => new(400, KvErrorCode.InvalidRequest, $"Invalid cache_ttl of {raw}. Cache TTL must be a whole number of seconds, at least {N(min)}.");
    public static KvException CacheTtlInvalid(string raw, int min) => new(400, KvErrorCode.InvalidRequest, $"Invalid cache_ttl of {raw}. Cache TTL must be at least {N(min)}.");

    public static KvException ListLimitTooLarge(string raw, int max) => new(400, KvErrorCode.InvalidListOrBulkOption, $"Invalid key_count_limit of {raw}. Please specify an integer less than {N(max)}.")
    {
        Detail = $"(The limit is {N(max)}: {N(max)} itself is accepted.)",
    };
    public static KvException ListLimitTooSmall(string raw, int min) => new(400, KvErrorCode.InvalidListOrBulkOption, $"Invalid key_count_limit of {raw}. Please specify an integer greater than {N(min - 1)}.");
    public static KvException CursorInvalid() => new(400, KvErrorCode.InvalidListOrBulkOption, "Invalid cursor: pass back the cursor of a previous page unchanged.");

    public static KvException BulkGetTooMany(int max) => new(400, KvErrorCode.TooManyBulkItems, $"You can request a maximum of {N(max)} keys");
    public static KvException BulkGetNone() => new(400, KvErrorCode.InvalidListOrBulkOption, "You must request a minimum of 1 key");
    public static KvException BulkGetBadType(string type) => new(400, KvErrorCode.InvalidListOrBulkOption, $"\"{type}\" is not a valid type. Use \"json\" or \"text\"");
    public static KvException BulkGetNotJson() => new(400, KvErrorCode.NotJson, "At least one of the requested keys corresponds to a non-json value");
    public static KvException BulkGetTooLarge(long maxBytes) => new(413, KvErrorCode.ValueTooLarge, $"Total size of request exceeds the limit of {N(maxBytes / 1_000_000)}MB");
    public static KvException BulkWriteTooMany(int count, int max) => new(400, KvErrorCode.TooManyBulkItems, $"received {N(count)} key/value pairs, but max allowed per request is: {N(max)}");
    public static KvException BulkDeleteTooMany(int count, int max) => new(400, KvErrorCode.TooManyBulkItems, $"received {N(count)} keys, but max allowed per request is: {N(max)}");
    public static KvException BulkWriteTooLarge(long max) => new(413, KvErrorCode.ValueTooLarge, $"Request body exceeds the bulk write limit of {N(max)} bytes.");
    public static KvException BulkItemInvalid(string what) => new(400, KvErrorCode.InvalidRequest, what);
    /// <summary>A bulk item's problem, saying which item it is (and its key, when it has one).</summary>
    public static KvException BulkItemAt(int index, string? key, KvException problem) => new(problem.StatusCode, problem.Code, key is null
        ? $"Item {N(index)} of the bulk request is invalid: {problem.Message}"
        : $"{problem.Message} (item {N(index)}, key \"{(key.Length <= 64 ? key : key[..64] + "…")}\")");

    public static KvException PreconditionFailed(bool mustBeAbsent, long? matchVersion) => new(412, KvErrorCode.PreconditionFailed, mustBeAbsent
        ? "Precondition failed: the key already exists (If-None-Match: *)."
        : $"Precondition failed: the key is not at version {matchVersion} (If-Match); read it again for its current version.");
    public static KvException PreconditionInvalid(string header, string raw) => new(400, KvErrorCode.InvalidRequest,
        $"Invalid {header} header \"{raw}\": use one version as sent in ETag or Kivi-Version (If-Match: \"42\"), or If-None-Match: *.");

    public static KvException KeyNotFound() => new(404, KvErrorCode.KeyNotFound, "key not found");
    public static KvException NamespaceNotFound() => new(404, KvErrorCode.NamespaceNotFound, "namespace not found");
    public static KvException NamespaceTitleExists() => new(400, KvErrorCode.NamespaceTitleExists, "A namespace with this account ID and title already exists");
    public static KvException NamespaceTitleInvalid(int max) => new(400, KvErrorCode.InvalidNamespace, $"A namespace title must be 1 to {N(max)} characters.");
    public static KvException NamespaceIdInvalid(string id) => new(400, KvErrorCode.InvalidNamespace, $"A namespace id must be 32 lowercase hexadecimal digits, not \"{id}\".");
    public static KvException NamespaceIdExists(string id) => new(400, KvErrorCode.InvalidNamespace, $"A namespace with id {id} already exists.");
    public static KvException JurisdictionInvalid(string given, IEnumerable<string> allowed) => new(400, KvErrorCode.InvalidNamespace,
        $"Unknown jurisdiction \"{given}\": use one of {string.Join(", ", allowed.Select(j => $"\"{j}\""))}, or none.");
    public static KvException JurisdictionFixed(string? current) => new(400, KvErrorCode.InvalidNamespace,
        $"A namespace's jurisdiction is set when it is created and cannot be changed (this one's is {(current is null ? "none" : $"\"{current}\"")}).");
    public static KvException NamespaceLimitReached(int max) => new(400, KvErrorCode.InvalidNamespace, $"The account has reached its limit of {N(max)} namespaces.");
    public static KvException AccountNotFound(string id) => new(404, KvErrorCode.NoRoute, $"Could not route to account {id}, perhaps your object identifier is invalid?");

    public static KvException StoreDamaged(string where, string problem, Exception? cause = null) => new(500, KvErrorCode.InternalError,
        $"The store at {where} is damaged ({problem}): writes are refused so the damage cannot spread. Stop Kivi, run `kivi check --data <folder>`, and restore from a snapshot (`kivi restore`) or a backup.", cause);
    public static KvException StorageFull(string where, Exception? cause = null) => new(507, KvErrorCode.StorageFull,
        $"The store's disk is full ({where}): the write was not applied. Writes are refused until space is freed; reads are still served.", cause);
    public static KvException TokenNotFound() => new(404, KvErrorCode.TokenNotFound, "token not found");
    public static KvException TokenNameInvalid() => new(400, KvErrorCode.InvalidRequest, "A token name must be 1 to 120 characters.");
    public static KvException TokenPermissionInvalid(string? given) => new(400, KvErrorCode.InvalidRequest, $"permission must be \"read\", \"write\", \"admin\", \"replication\" or \"metrics\", not \"{given}\".");
    public static KvException TokenNamespaceUnknown(string id) => new(400, KvErrorCode.NamespaceNotFound, $"namespace {id} is not in this account.");
    public static KvException AccountNameInvalid() => new(400, KvErrorCode.InvalidRequest, "An account name must be 1 to 120 characters.");

    public static KvException InvalidRequest(string message) => new(400, KvErrorCode.InvalidRequest, message);

    /// <summary>An operation over quota: Workers KV's 429, code and text (its quotas are daily; Kivi's may be monthly, or per namespace).</summary>
    public static KvException QuotaExceeded(bool account, bool monthly) => new(429, KvErrorCode.QuotaExceeded,
        (account ? "your account has reached the free usage limit" : "this namespace has reached its usage limit") + " for this operation for " + (monthly ? "this month" : "today"));

    /// <summary>A write refused because the account or namespace stores as much as its quota allows.</summary>
    public static KvException StorageQuotaExceeded(bool account, string what, long limit) => new(429, KvErrorCode.QuotaExceeded,
        $"{(account ? "your account" : "this namespace")} has reached its storage limit of {N(limit)} {what}; delete keys to write again");

    /// <summary>Workers KV's limit of one write a second to one key, when turned on.</summary>
    public static KvException KeyWriteRateLimited() => new(429, KvErrorCode.KeyWriteRateLimited,
        "Too many writes to this key: at most 1 write per second to the same key (Workers KV's limit); retry with exponential backoff");
}
