using Kivi.Core;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>
/// Kivi's limits on a request's target and headers, checked before anything else so that an oversize
/// request gets Cloudflare's envelope with the limit, not Kestrel's empty answer (Kestrel's own limits are
/// set well above these and only stop what is far beyond them).
/// </summary>
internal sealed class RequestLimits(RequestDelegate next)
{
    /// <summary>The longest request target (path and query) accepted, in bytes: room for a 512-byte key encoded three bytes a byte, and a cursor.</summary>
    public const int MaxTargetBytes = 8192;

    /// <summary>The most header bytes (names and values) a request may carry.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    public Task InvokeAsync(HttpContext context)
    {
        int target = RawKey.RawTargetLength(context);
        if (target > MaxTargetBytes)
            return Refuse(context, StatusCodes.Status414UriTooLong, $"The request target of {target:N0} bytes exceeds the limit of {MaxTargetBytes:N0} bytes.");
        long headers = 0;
        foreach (var (name, values) in context.Request.Headers)
        {
            headers += name.Length;
            foreach (var value in values) headers += value?.Length ?? 0;
        }
        if (headers > MaxHeaderBytes)
            return Refuse(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, $"The request headers total {headers:N0} bytes, over the limit of {MaxHeaderBytes:N0} bytes.");
        return next(context);
    }

    private static Task Refuse(HttpContext context, int status, string message) =>
        context.Request.Headers.ContainsKey(KiviHeaders.Namespace)
            ? Binding.BindingErrors.WriteAsync(context, status, message, KvErrorCode.InvalidRequest) // workerd's binding protocol: a status text
            : Envelope.ErrorAsync(context, status, KvErrorCode.InvalidRequest, message);
}
