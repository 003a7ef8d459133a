using Kivi.Protocol;

namespace Kivi.Core.Access;

/// <summary>Refusals for access: always Cloudflare's 403 with code 10000, whatever was missing.</summary>
public static class AccessErrors
{
    public static KvException Forbidden() => new(403, KvErrorCode.AuthenticationError, "Authentication error");
}
