using System.Security.Cryptography;
using Kivi.Core.Access;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>
/// Resolves a bearer token to its caller: the admin token (compared by hash, in constant time) is the
/// root caller; any other is looked up by the SHA-256 of its value among the scoped tokens.
/// </summary>
internal sealed class TokenAuthenticator(string adminToken, TokenService tokens) : ICallerAuthenticator
{
    private readonly byte[] _adminHash = TokenService.Hash(adminToken);

    public ValueTask<Caller?> AuthenticateAsync(string token, CancellationToken cancellationToken) =>
        FindByHashAsync(TokenService.Hash(token), cancellationToken);

    /// <summary>Tokens live in the store's memory, so this never waits; revocation applies to the very next request.</summary>
    public Caller? TryGetKnown(string token)
    {
        var found = AuthenticateAsync(token, CancellationToken.None);
        return found.IsCompletedSuccessfully ? found.Result : null;
    }

    /// <summary>The caller whose token hashes to <paramref name="hash"/>: how edges check the tokens they are shown.</summary>
    public async ValueTask<Caller?> FindByHashAsync(byte[] hash, CancellationToken cancellationToken)
    {
        if (CryptographicOperations.FixedTimeEquals(hash, _adminHash)) return Caller.Root;
        return await tokens.FindByHashAsync(hash, cancellationToken);
    }

    /// <summary>
    /// The token a request carries: <c>Authorization: Bearer</c>, or Cloudflare's global-key headers
    /// (<c>X-Auth-Key</c> with an <c>X-Auth-Email</c>, which is not checked) as a carrier of a Kivi token, for
    /// older clients and scripts. Null when there is none, or when the carriers are ambiguous (both kinds,
    /// repeated headers, a key without an email): such a request is refused as unauthenticated.
    /// </summary>
    public static string? RequestToken(HttpRequest request)
    {
        var headers = request.Headers;
        if (!headers.TryGetValue(GlobalKeyHeader, out var key)) return BearerToken(headers.Authorization);
        if (headers.Authorization.Count > 0 || key.Count != 1 || headers[GlobalKeyEmailHeader].Count != 1) return null;
        return key[0].AsSpan().Trim() is { Length: > 0 } value ? value.ToString() : null;
    }

    /// <summary>Cloudflare's global API key header, and the account email that goes with it.</summary>
    public const string GlobalKeyHeader = "X-Auth-Key", GlobalKeyEmailHeader = "X-Auth-Email";

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or null when there is none.</summary>
    public static string? BearerToken(string? header) =>
        header is { Length: > 7 } && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.AsSpan(7).Trim() is { Length: > 0 } token
            ? token.ToString()
            : null;
}
