using Kivi.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Kivi.Server.Rest;

/// <summary>Every API request needs <c>Authorization: Bearer &lt;token&gt;</c>: 401 without one, 403 with a wrong one.</summary>
internal sealed class AuthMiddleware(RequestDelegate next, TokenAuthenticator tokens)
{
    public Task InvokeAsync(HttpContext context)
    {
        string? header = context.Request.Headers[HeaderNames.Authorization];
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Envelope.ErrorAsync(context, StatusCodes.Status401Unauthorized, KvErrorCode.AuthenticationError, "Authentication error");
        }
        if (!tokens.IsAdmin(header.AsSpan(7).Trim()))
            return Envelope.ErrorAsync(context, StatusCodes.Status403Forbidden, KvErrorCode.AuthenticationError, "Authentication error");
        return next(context);
    }
}
