using Kivi.Core.Access;
using Microsoft.AspNetCore.Http;

namespace Kivi.Server.Rest;

/// <summary>The authenticated caller of a request, and the checks endpoints make with it.</summary>
internal static class CallerExtensions
{
    public static Caller Caller(this HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("No caller: the request bypassed authentication.");

    /// <summary>Refuses with Cloudflare's 403 unless <paramref name="allowed"/>.</summary>
    public static void Require(this HttpContext context, Func<Caller, bool> allowed)
    {
        if (!allowed(context.Caller())) throw AccessErrors.Forbidden();
    }
}
