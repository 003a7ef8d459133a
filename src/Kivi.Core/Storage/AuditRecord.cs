using Kivi.Protocol;

namespace Kivi.Core.Storage;

/// <summary>One change as the audit shows it: what, when (Unix milliseconds; 0 when not recorded) and by which token (none for expiry).</summary>
public sealed record AuditRecord(long Version, string NamespaceId, byte[]? Key, ChangeKind Kind, long? Expiration, long At, string? TokenId, string? TokenName);
