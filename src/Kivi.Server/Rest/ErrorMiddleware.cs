using System.Text.Json;
using Kivi.Core;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kivi.Server.Rest;

/// <summary>
/// Turns every failure under /client/v4 into Cloudflare's envelope: a user's mistake is a 4xx that says
/// what was wrong and the limit; only a fault of Kivi's own is a 5xx.
/// </summary>
internal sealed class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> logger, FaultLog faults)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && Classify(e) is { } error)
        {
            if (e is KvException { StatusCode: >= 500 }) faults.Report(error.Status, error.Message); // a condition (outage, full disk), once per outage
            else if (error.Status >= 500) Log.Unhandled(logger, e, context.Request.Method, context.Request.Path);
            // Refusals read exactly as Cloudflare's ("Authentication error"); other errors name their operation.
            string op = error.Code != KvErrorCode.AuthenticationError && context.GetEndpoint()?.Metadata.GetMetadata<KvOperation>()?.Name is { } name
                ? $"{name}: '{error.Message}'"
                : error.Message;
            context.Response.Clear();
            await Envelope.ErrorAsync(context, error.Status, error.Code, op);
        }
    }

    private static (int Status, int Code, string Message)? Classify(Exception e) => e switch
    {
        KvException kv => (kv.StatusCode, kv.Code, kv.Detail is { } detail ? $"{kv.Message} {detail}" : kv.Message),
        JsonException json => (400, KvErrorCode.InvalidRequest, $"Malformed JSON in request body: {json.Message}"),
        BadHttpRequestException bad when bad.StatusCode == 413 => (413, KvErrorCode.ValueTooLarge, "Request body too large."),
        BadHttpRequestException bad => (bad.StatusCode, KvErrorCode.InvalidRequest, $"Bad request: {bad.Message}"),
        InvalidDataException data => (400, KvErrorCode.InvalidRequest, $"Malformed multipart body: {data.Message}"),
        OperationCanceledException => null, // the client went away; nobody is listening
        IOException when e.InnerException is BadHttpRequestException => null,
        _ => (500, KvErrorCode.InternalError, "Internal error; the server log has the details."),
    };
}
