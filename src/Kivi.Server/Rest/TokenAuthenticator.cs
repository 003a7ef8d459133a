using System.Security.Cryptography;
using System.Text;

namespace Kivi.Server.Rest;

/// <summary>Checks bearer tokens against their SHA-256 hashes in constant time; plain tokens are never kept.</summary>
internal sealed class TokenAuthenticator(string adminToken)
{
    private readonly byte[] _adminHash = Hash(adminToken);

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>True when the token is the admin token.</summary>
    public bool IsAdmin(ReadOnlySpan<char> token)
    {
        Span<byte> utf8 = token.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(token.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(token.Length)];
        int length = Encoding.UTF8.GetBytes(token, utf8);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..length], hash);
        return CryptographicOperations.FixedTimeEquals(hash, _adminHash);
    }
}
