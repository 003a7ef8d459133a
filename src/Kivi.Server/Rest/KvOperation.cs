namespace Kivi.Server.Rest;

/// <summary>Endpoint metadata naming the operation, which prefixes error messages as Cloudflare does (<c>get: 'key not found'</c>).</summary>
internal sealed record KvOperation(string Name);
