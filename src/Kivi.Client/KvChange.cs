using Kivi.Protocol;

namespace Kivi.Client;

/// <summary>
/// One change seen by a watch: a put, delete, expiry or namespace drop of <see cref="Key"/>, or a
/// <see cref="ChangeKind.Reset"/> (changes were missed: the server's log no longer reached back; re-read what
/// matters). <see cref="Value"/> and <see cref="MetadataJson"/> come with puts of small values that were still
/// current when sent; otherwise read the key for them.
/// </summary>
public sealed record KvChange(ChangeKind Kind, string? Key, long Version, long? Expiration = null, ReadOnlyMemory<byte>? Value = null, string? MetadataJson = null);
