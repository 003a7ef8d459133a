using Kivi.Protocol;
namespace Kivi.Core.Storage;

/// <summary>One change as the log holds it: the feed of the edge tier is built from these.</summary>
public sealed record ChangeRecord(long Version, string AccountId, string NamespaceId, byte[]? Key, ChangeKind Kind, long? Expiration);
