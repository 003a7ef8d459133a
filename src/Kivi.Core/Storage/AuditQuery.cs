namespace Kivi.Core.Storage;

/// <summary>
/// Changes of one namespace (or of one <see cref="Key"/> in it) made in [<see cref="Since"/>, <see cref="Until"/>)
/// (Unix milliseconds), below version <see cref="Before"/>, newest first, at most <see cref="Limit"/>.
/// </summary>
public sealed record AuditQuery(string AccountId, string NamespaceId, byte[]? Key, long Since, long Until, long Before, int Limit);
