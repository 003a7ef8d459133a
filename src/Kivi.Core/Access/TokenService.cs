using Kivi.Protocol;
using System.Security.Cryptography;
using System.Text;
using Kivi.Core.Storage;

namespace Kivi.Core.Access;

/// <summary>Scoped tokens: issue, roll, revoke and authenticate. Token values are shown once and stored only as SHA-256.</summary>
public sealed class TokenService(IKvEngine engine, KvService kv, TimeProvider time)
{
    /// <summary>A token issued or rolled, with the value its holder must keep (it cannot be shown again).</summary>
    public sealed record Issued(KvToken Token, string Value);

    public static byte[] Hash(ReadOnlySpan<char> value)
    {
        Span<byte> utf8 = value.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        int length = Encoding.UTF8.GetBytes(value, utf8);
        return SHA256.HashData(utf8[..length]);
    }

    /// <summary>256 random bits; high entropy is why an unsalted hash is enough to store it.</summary>
    public static string NewValue() => "kivi_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TokenPermission ParsePermission(string? text) => text switch
    {
        "read" => TokenPermission.Read,
        "write" => TokenPermission.ReadWrite,
        "admin" => TokenPermission.AccountAdmin,
        "replication" => TokenPermission.Replication,
        "metrics" => TokenPermission.Metrics,
        _ => throw KvErrors.TokenPermissionInvalid(text),
    };

    public static string PermissionName(TokenPermission permission) => permission switch
    {
        TokenPermission.Read => "read",
        TokenPermission.ReadWrite => "write",
        TokenPermission.AccountAdmin => "admin",
        TokenPermission.Metrics => "metrics",
        _ => "replication",
    };

    /// <summary>The scoped caller a token value belongs to, or null when it is no token of this store.</summary>
    public ValueTask<Caller?> AuthenticateAsync(string value, CancellationToken cancellationToken) =>
        FindByHashAsync(Hash(value), cancellationToken);

    /// <summary>The caller of the scoped token whose value hashes to <paramref name="hash"/>.</summary>
    public async ValueTask<Caller?> FindByHashAsync(byte[] hash, CancellationToken cancellationToken) =>
        await engine.FindTokenAsync(hash, cancellationToken) is { } token ? Caller.For(token) : null;

    public async Task<Issued> CreateAsync(string accountId, string? name, string? permission, IReadOnlyList<string?>? namespaces, CancellationToken cancellationToken, Caller? by = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 120) throw KvErrors.TokenNameInvalid();
        var parsed = ParsePermission(permission);
        if (parsed == TokenPermission.Metrics && by is { IsRoot: false }) throw AccessErrors.MetricsTokenNeedsRoot();
        await kv.EnsureAccountExistsAsync(accountId, cancellationToken);
        string[]? scope = null;
        if (namespaces is not null)
        {
            scope = new string[namespaces.Count];
            for (int i = 0; i < scope.Length; i++)
            {
                string id = namespaces[i] ?? throw KvErrors.TokenNamespaceUnknown("null");
                if (await engine.GetNamespaceAsync(accountId, id, cancellationToken) is null) throw KvErrors.TokenNamespaceUnknown(id);
                scope[i] = id;
            }
        }
        string value = NewValue();
        var token = new KvToken(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), accountId, name, parsed, scope, time.GetUtcNow().ToUnixTimeSeconds(), Hash(value));
        await engine.WriteAsync(new CreateToken(token));
        return new Issued(token, value);
    }

    public async Task<Issued> RollAsync(string accountId, string tokenId)
    {
        string value = NewValue();
        var result = await engine.WriteAsync(new RollToken(accountId, tokenId, Hash(value)));
        if (result.Status == WriteStatus.TokenNotFound) throw KvErrors.TokenNotFound();
        return new Issued(result.Token!, value);
    }

    public async Task RevokeAsync(string accountId, string tokenId)
    {
        var result = await engine.WriteAsync(new RevokeToken(accountId, tokenId));
        if (result.Status == WriteStatus.TokenNotFound) throw KvErrors.TokenNotFound();
    }

    public ValueTask<IReadOnlyList<KvToken>> ListAsync(string accountId, CancellationToken cancellationToken) => engine.ListTokensAsync(accountId, cancellationToken);

    public async Task<KvToken> GetAsync(string accountId, string tokenId, CancellationToken cancellationToken) =>
        (await engine.ListTokensAsync(accountId, cancellationToken)).FirstOrDefault(t => t.Id == tokenId) ?? throw KvErrors.TokenNotFound();

    /// <summary>Creates an account (root only; checked by the caller of this method).</summary>
    /// <summary>Creates an account with a new id, or ensures the one with <paramref name="id"/> exists (a restore keeps account ids).</summary>
    public async Task<string> CreateAccountAsync(string? name, string? id = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 120) throw KvErrors.AccountNameInvalid();
        if (id is not null && (id.Length != 32 || !id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')))
            throw KvErrors.InvalidRequest($"An account id must be 32 lowercase hexadecimal digits, not \"{id}\".");
        id ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await engine.WriteAsync(new EnsureAccount(id, name));
        return id;
    }
}
