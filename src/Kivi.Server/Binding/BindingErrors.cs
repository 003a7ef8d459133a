using Kivi.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kivi.Server.Binding;

/// <summary>
/// On the binding protocol an error is a status and a status text: workerd shows a Worker exactly
/// <c>KV &lt;METHOD&gt; failed: &lt;status&gt; &lt;status text&gt;</c>, so the text is Workers KV's message.
/// </summary>
internal static class BindingErrors
{
    public static void SetStatus(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        if (context.Features.Get<IHttpResponseFeature>() is { } feature) feature.ReasonPhrase = Sanitize(reason);
    }

    public static async Task WriteAsync(HttpContext context, int status, string message, int? code = null)
    {
        context.Response.Clear();
        SetStatus(context, status, message);
        code ??= status switch { 401 or 403 => KvErrorCode.AuthenticationError, 503 => KvErrorCode.UpstreamUnavailable, >= 500 => KvErrorCode.InternalError, _ => KvErrorCode.InvalidRequest };
        context.Response.Headers[KiviHeaders.ErrorCode] = code.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message, context.RequestAborted);
    }

    /// <summary>A reason phrase is one line of visible ASCII; anything else would break the status line.</summary>
    private static string Sanitize(string reason) =>
        string.Create(reason.Length, reason, static (span, r) =>
        {
            for (int i = 0; i < r.Length; i++) span[i] = r[i] is >= ' ' and <= '~' ? r[i] : '?';
        });
}
