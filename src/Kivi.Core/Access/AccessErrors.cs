using Kivi.Protocol;

namespace Kivi.Core.Access;

/// <summary>Refusals for access: always Cloudflare's 403 with code 10000, whatever was missing.</summary>
public static class AccessErrors
{
    public static KvException Forbidden() => new(403, KvErrorCode.AuthenticationError, "Authentication error");

    /// <summary>A metrics token shows every account's namespaces in its labels: only the admin token issues one.</summary>
    public static KvException MetricsTokenNeedsRoot() => new(403, KvErrorCode.AuthenticationError,
        "Authentication error: a metrics token sees the whole node, so only the admin token may create one");
}
