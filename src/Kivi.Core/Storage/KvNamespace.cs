namespace Kivi.Core.Storage;

/// <summary>A namespace as stored: <paramref name="Handle"/> is the engine's compact internal id.</summary>
/// <param name="Jurisdiction">Workers KV's jurisdiction (eu, us, fedramp), set at creation and never changed; null for none.</param>
public sealed record KvNamespace(long Handle, string Id, string AccountId, string Title, string? Jurisdiction = null);
