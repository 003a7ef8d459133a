using System.Globalization;
using System.Text;
using System.Text.Json;
using Kivi.Caching;
using Kivi.Protocol;
using Kivi.Server.Binding;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kivi.Server.Edge;

/// <summary>
/// Forwards what an edge does not serve itself (writes, namespace and token management, account
/// discovery) to its upstream byte for byte, with the client's own token, so the origin validates and
/// authorizes exactly as if called directly. After an acknowledged write it drops what the edge held of
/// the written keys before answering, so the writer reads its write here (read-your-writes).
/// </summary>
internal sealed class EdgeProxy(HttpClient http, KvCache cache, ILogger<EdgeProxy> logger, FaultLog faults)
{
    private static readonly UriCreationOptions Exact = new() { DangerousDisablePathAndQueryCanonicalization = true };
    private static readonly KvLimits AnyMetadata = new() { MaxMetadataBytes = int.MaxValue }; // the store has checked it: only its form is wanted
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate",
        "Expect", // this edge already answered it by reading the body
    };

    /// <summary>
    /// Whether an edge sends a request upstream, by the operation routing found for it (its <see cref="KvOperation"/>
    /// metadata): what it does not declare serving, and what matched no route, the upstream answers.
    /// </summary>
    public static bool Forwards(HttpContext context, KvOperation? operation) => operation?.AtEdge switch
    {
        AtEdge.Serve => false,
        AtEdge.ServeUnlessStrong => ReadRequest.AsksStrong(context.Request),
        _ => true,
    };

    /// <summary>The forwarding step of the REST API, after routing: forwards what <see cref="Forwards"/> says, else goes on.</summary>
    public Task ForwardOrServeAsync(HttpContext context, RequestDelegate next)
    {
        var operation = context.GetEndpoint()?.Metadata.GetMetadata<KvOperation>();
        return Forwards(context, operation) ? ForwardAsync(context, operation, binding: false) : next(context);
    }

    /// <summary>Forwards a request an endpoint found it cannot serve here after all (a watch behind what this edge keeps).</summary>
    public Task ForwardAsync(HttpContext context) => ForwardAsync(context, null, binding: false);

    /// <summary>Forwards a binding-protocol request (its operation from <see cref="Binding.BindingEndpoints.Operation"/>).</summary>
    public Task ForwardBindingAsync(HttpContext context, KvOperation? operation) => ForwardAsync(context, operation, binding: true);

    private async Task ForwardAsync(HttpContext context, KvOperation? operation, bool binding)
    {
        var request = context.Request;
        var written = WrittenKeys(context, operation, binding);
        byte[]? body = null;
        if (written is { FromBody: true })
        {
            // Bulk writes: the keys are in the body, which is kept to learn them once the write is acknowledged.
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        else if (written is { Key: not null } && Installable(request))
        {
            // A single put of a plain body small enough to cache: kept, to install the acknowledged value here (read-your-writes at this edge, and the next read a memory hit).
            body = new byte[(int)request.ContentLength!.Value];
            await request.Body.ReadExactlyAsync(body, context.RequestAborted);
        }
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString);
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(http.BaseAddress!.GetLeftPart(UriPartial.Authority) + target, in Exact));
        if (body is not null) message.Content = new ByteArrayContent(body);
        else if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) message.Content = new StreamContent(request.Body);
        bool tracing = System.Diagnostics.Activity.Current is not null; // then this node's span is the parent upstream, not the client's
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name) || tracing && name is "traceparent" or "tracestate") continue;
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)) message.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            else message.Headers.TryAddWithoutValidation(name, values.ToArray());
        }

        HttpResponseMessage upstream;
        try
        {
            upstream = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !context.RequestAborted.IsCancellationRequested))
        {
            // Writes fail loudly at an edge whose upstream is gone: never accepted and then lost.
            string text = $"This edge cannot reach its upstream {http.BaseAddress}: {request.Method} was not applied; retry when the upstream is back.";
            faults.Report(503, $"{text} ({e.Message})");
            if (binding) await BindingErrors.WriteAsync(context, 503, text);
            else await Envelope.ErrorAsync(context, 503, KvErrorCode.UpstreamUnavailable, text);
            return;
        }
        using (upstream)
        {
            if (upstream.IsSuccessStatusCode && written is { } w) ObserveWrite(w, body, upstream, binding ? request.Headers[KiviHeaders.CfKvMetadata].ToString() : null);
            var response = context.Response;
            response.StatusCode = (int)upstream.StatusCode;
            if (binding && upstream.ReasonPhrase is { } reason) context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = reason;
            foreach (var (name, values) in upstream.Headers.Concat(upstream.Content.Headers))
                if (!HopByHop.Contains(name)) response.Headers[name] = values.ToArray();
            await upstream.Content.CopyToAsync(response.Body, context.RequestAborted);
        }
    }

    /// <summary>What a forwarded request writes, if anything: a namespace, and keys from the path or the body.</summary>
    private sealed record Written(string NamespaceId, string? Key, bool FromBody, bool DropsNamespace);

    private static Written? WrittenKeys(HttpContext context, KvOperation? operation, bool binding)
    {
        if (operation is not { Writes: not Writes.Nothing and var writes }) return null;
        string? ns = binding ? context.Request.Headers[KiviHeaders.Namespace].ToString() : context.Request.RouteValues["namespace_id"] as string;
        if (string.IsNullOrEmpty(ns)) return null;
        return writes switch
        {
            Writes.Key => new Written(ns, binding ? TryDecode(RawKey.RawPath(context).AsSpan(1)) : TryKey(context), false, false),
            Writes.BodyKeys => new Written(ns, null, true, false),
            _ => new Written(ns, null, false, true),
        };
    }

    /// <summary>
    /// Whether a forwarded single-key write's body is the value itself, whole and small enough to cache: a PUT with a
    /// length, no multipart form (REST's raw body, or the binding's, whose metadata is a header) and no content coding
    /// (the bytes sent are the bytes stored).
    /// </summary>
    private bool Installable(HttpRequest request) =>
        HttpMethods.IsPut(request.Method) && request.ContentLength is { } length && length <= cache.Options.MaxEntryBytes
        && !(request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) ?? false)
        && !request.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.ContentEncoding);

    private void ObserveWrite(Written w, byte[]? body, HttpResponseMessage upstream, string? bindingMetadata)
    {
        if (w.DropsNamespace)
        {
            cache.ObserveNamespaceDropped(w.NamespaceId);
            return;
        }
        if (!upstream.Headers.TryGetValues(KiviHeaders.Version, out var values) || !long.TryParse(values.First(), NumberStyles.None, CultureInfo.InvariantCulture, out long version))
        {
            Log.NoWriteVersion(logger, upstream.RequestMessage?.RequestUri);
            return;
        }
        if (w.Key is { } key)
        {
            // The value as the origin stored it: these bytes, the binding's metadata as the store normalises it (a REST raw put has none), and the expiration it computed.
            var installed = body is null ? null : cache.WrittenEntry(body, Metadata.Normalize(string.IsNullOrEmpty(bindingMetadata) ? null : bindingMetadata, AnyMetadata),
                upstream.Headers.TryGetValues(KiviHeaders.Expiration, out var e) && long.TryParse(e.First(), NumberStyles.None, CultureInfo.InvariantCulture, out long at) ? at : null, version);
            cache.ObserveWrite(new CacheKey(w.NamespaceId, Encoding.UTF8.GetBytes(key)), version, installed,
                upstream.Headers.TryGetValues(KiviHeaders.Epoch, out var epochs) && long.TryParse(epochs.First(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long epoch) ? epoch : null);
        }
        else if (body is not null)
            foreach (var k in BulkKeys(body)) cache.ObserveWrite(new CacheKey(w.NamespaceId, k), version, null);
    }

    /// <summary>The keys of a bulk write or delete body: an array of strings, or of objects with "key".</summary>
    private static List<byte[]> BulkKeys(byte[] body)
    {
        var keys = new List<byte[]>();
        try
        {
            using var doc = JsonDocument.Parse(body);
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String) keys.Add(Encoding.UTF8.GetBytes(item.GetString()!));
                else if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String)
                    keys.Add(Encoding.UTF8.GetBytes(k.GetString()!));
            }
        }
        catch (JsonException)
        {
            // The upstream accepted it, so it parsed there; nothing to drop if it does not here.
        }
        return keys;
    }

    /// <summary>The key of a REST value route, decoded exactly as its endpoint does; null when the upstream would refuse it.</summary>
    private static string? TryKey(HttpContext context)
    {
        try
        {
            return RawKey.FromRequest(context, ValueEndpoints.ValuesMarker);
        }
        catch (KvException)
        {
            return null;
        }
    }

    private static string? TryDecode(ReadOnlySpan<char> encoded)
    {
        try
        {
            return RawKey.Decode(encoded);
        }
        catch (KvException)
        {
            return null; // the upstream refuses such a key, so it wrote nothing
        }
    }
}
