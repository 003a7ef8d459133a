using System.Text.Json.Serialization;

namespace Kivi.Protocol;

/// <summary>Source-generated serialisers for the protocol's request bodies.</summary>
[JsonSourceGenerationOptions(AllowTrailingCommas = false, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(List<BulkWriteItem?>))]
[JsonSerializable(typeof(List<string?>))]
[JsonSerializable(typeof(BulkGetRequest))]
[JsonSerializable(typeof(NamespaceTitleRequest))]
public sealed partial class KiviProtocolJsonContext : JsonSerializerContext;
