using System.Security.Cryptography;
using Kivi.Core.Access;

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

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or null when there is none.</summary>
    public static string? BearerToken(string? header) =>
        header is { Length: > 7 } && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.AsSpan(7).Trim() is { Length: > 0 } token
            ? token.ToString()
            : null;
}
