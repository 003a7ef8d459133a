namespace Kivi.Core.Access;

/// <summary>A scoped token as stored: never its value, only the SHA-256 of it.</summary>
/// <param name="Namespaces">The namespaces it reaches, or null for every namespace of the account.</param>
public sealed record KvToken(string Id, string AccountId, string Name, TokenPermission Permission, IReadOnlyList<string>? Namespaces, long IssuedOn, byte[] Hash);
