using Kivi.Core.Access;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>
/// Every API request needs a token (<c>Authorization: Bearer &lt;token&gt;</c>, or Cloudflare's
/// <c>X-Auth-Email</c> + <c>X-Auth-Key</c> carrying one): 401 without one, 403 with an unknown one.
/// </summary>
internal sealed class AuthMiddleware(RequestDelegate next, ICallerAuthenticator tokens)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (TokenAuthenticator.RequestToken(context.Request) is not { } token)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Envelope.ErrorAsync(context, StatusCodes.Status401Unauthorized, KvErrorCode.AuthenticationError, "Authentication error");
            return;
        }
        if (await tokens.AuthenticateAsync(token, context.RequestAborted) is not { } caller)
        {
            await Envelope.ErrorAsync(context, StatusCodes.Status403Forbidden, KvErrorCode.AuthenticationError, "Authentication error");
            return;
        }
        context.Features.Set(caller);
        await next(context);
    }
}
