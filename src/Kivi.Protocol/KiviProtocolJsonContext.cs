using System.Text.Json.Serialization;

namespace Kivi.Protocol;

/// <summary>Source-generated serialisers for the protocol's bodies (snake_case, as Cloudflare's API names fields).</summary>
[JsonSourceGenerationOptions(AllowTrailingCommas = false, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<BulkWriteItem?>))]
[JsonSerializable(typeof(BulkWriteItem))]
[JsonSerializable(typeof(KvLimits))]
[JsonSerializable(typeof(TokenLookup))]
[JsonSerializable(typeof(NamespaceLookup))]
[JsonSerializable(typeof(AccountLookup))]
[JsonSerializable(typeof(List<string?>))]
[JsonSerializable(typeof(BulkGetRequest))]
[JsonSerializable(typeof(NamespaceTitleRequest))]
[JsonSerializable(typeof(UsageReport))]
[JsonSerializable(typeof(UsageAnswer))]
[JsonSerializable(typeof(AuditAnswer))]
[JsonSerializable(typeof(QuotaState))]
[JsonSerializable(typeof(EdgeCheckIn))]
[JsonSerializable(typeof(List<EdgeSeen>))]
public sealed partial class KiviProtocolJsonContext : JsonSerializerContext;
