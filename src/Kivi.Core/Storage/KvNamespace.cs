namespace Kivi.Core.Storage;

/// <summary>A namespace as stored: <paramref name="Handle"/> is the engine's compact internal id.</summary>
public sealed record KvNamespace(long Handle, string Id, string AccountId, string Title);
