using System.Text.Json;
using Kivi.Core;
using Kivi.Core.Access;
using Kivi.Protocol;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kivi.Server.Binding;

/// <summary>Serves a request that carries <c>X-Kivi-Namespace</c> as workerd's KV binding protocol.</summary>
internal sealed class BindingHandler(ICallerAuthenticator tokens, KvService kv, ILogger<BindingHandler> logger, FaultLog faults)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            if (TokenAuthenticator.RequestToken(context.Request) is not { } token)
            {
                await BindingErrors.WriteAsync(context, 401, "Authentication error");
                return;
            }
            if (await tokens.AuthenticateAsync(token, context.RequestAborted) is not { } caller)
            {
                await BindingErrors.WriteAsync(context, 403, "Authentication error");
                return;
            }
            // A 404 would read as a missing key (null) in the Worker: a wrong namespace header must fail loudly.
            // A namespace the token cannot reach reads exactly as one that does not exist, so ids of other
            // accounts cannot be probed; only the admin token is told that the header names nothing.
            var ns = await kv.Reads.FindNamespaceAsync(context.Request.Headers[KiviHeaders.Namespace].ToString(), context.RequestAborted);
            if (ns is null || !caller.Reaches(ns))
                throw caller.IsRoot ? new KvException(400, KvErrorCode.NamespaceNotFound, "X-Kivi-Namespace names no namespace") : AccessErrors.Forbidden();
            context.Features.Set(caller);
            bool writes = HttpMethods.IsPut(context.Request.Method) || HttpMethods.IsDelete(context.Request.Method);
            if (!(writes ? caller.CanWrite(ns) : caller.CanRead(ns))) throw AccessErrors.Forbidden();
            await BindingEndpoints.HandleAsync(context, ns, kv);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, message) = e switch
            {
                KvException k => (k.StatusCode, k.Message),
                JsonException j => (400, $"Malformed JSON in request body: {j.Message}"),
                BadHttpRequestException b => (b.StatusCode, b.Message),
                OperationCanceledException => (499, "Client Closed Request"),
                _ => (500, "Internal Server Error"),
            };
            if (e is KvException { StatusCode: >= 500 }) faults.Report(status, message);
            else if (status >= 500) Log.Unhandled(logger, e, context.Request.Method, context.Request.Path);
            await BindingErrors.WriteAsync(context, status, message, (e as KvException)?.Code);
        }
    }
}
