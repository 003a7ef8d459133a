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
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate",
        "Expect", // this edge already answered it by reading the body
    };

    /// <summary>Whether an edge answers this /client/v4 request itself (reads and the feed) rather than forwarding it.</summary>
    public static bool ServesLocally(HttpContext context)
    {
        var path = RawKey.RawPath(context).AsSpan();
        string method = context.Request.Method;
        if (path.Equals("/client/v4/kivi/changes", StringComparison.Ordinal)) return HttpMethods.IsGet(method);
        if (!NamespaceTail(path, out var tail) || ReadRequest.AsksStrong(context.Request)) return false;
        if (HttpMethods.IsGet(method))
            return tail.Contains("/values/", StringComparison.Ordinal) || tail.Contains("/metadata/", StringComparison.Ordinal) || tail.EndsWith("/keys", StringComparison.Ordinal);
        return HttpMethods.IsPost(method) && tail.EndsWith("/bulk/get", StringComparison.Ordinal);
    }

    public Task ForwardRestAsync(HttpContext context) => ForwardAsync(context, binding: false);

    public Task ForwardBindingAsync(HttpContext context) => ForwardAsync(context, binding: true);

    private async Task ForwardAsync(HttpContext context, bool binding)
    {
        var request = context.Request;
        var written = WrittenKeys(context, binding);
        byte[]? body = null;
        if (written is { FromBody: true })
        {
            // Bulk writes: the keys are in the body, which is kept to learn them once the write is acknowledged.
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString);
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(http.BaseAddress!.GetLeftPart(UriPartial.Authority) + target, in Exact));
        if (body is not null) message.Content = new ByteArrayContent(body);
        else if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) message.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
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
            if (upstream.IsSuccessStatusCode && written is { } w) ObserveWrite(w, body, upstream);
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

    private static Written? WrittenKeys(HttpContext context, bool binding)
    {
        string method = context.Request.Method;
        if (binding)
        {
            var raw = RawKey.RawPath(context);
            if (!(HttpMethods.IsPut(method) || HttpMethods.IsDelete(method)) || raw.Length < 2) return null;
            return new Written(context.Request.Headers[KiviHeaders.Namespace].ToString(), TryDecode(raw.AsSpan(1)), false, false);
        }
        var path = RawKey.RawPath(context).AsSpan();
        if (!NamespaceTail(path, out var tail)) return null;
        int slash = tail.IndexOf('/');
        string ns = (slash < 0 ? tail : tail[..slash]).ToString();
        var rest = slash < 0 ? ReadOnlySpan<char>.Empty : tail[slash..];
        if (rest.IsEmpty) return HttpMethods.IsDelete(method) ? new Written(ns, null, false, true) : null;
        if (rest.StartsWith("/values/", StringComparison.Ordinal) && (HttpMethods.IsPut(method) || HttpMethods.IsDelete(method)))
            return new Written(ns, TryDecode(rest["/values/".Length..]), false, false);
        if ((rest.SequenceEqual("/bulk") && (HttpMethods.IsPut(method) || HttpMethods.IsDelete(method))) || (rest.SequenceEqual("/bulk/delete") && HttpMethods.IsPost(method)))
            return new Written(ns, null, true, false);
        return null;
    }

    private void ObserveWrite(Written w, byte[]? body, HttpResponseMessage upstream)
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
        if (w.Key is { } key) cache.ObserveWrite(new CacheKey(w.NamespaceId, Encoding.UTF8.GetBytes(key)), version, null);
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

    /// <summary>The part after ".../storage/kv/namespaces/" of a namespace route, if the path is one.</summary>
    private static bool NamespaceTail(ReadOnlySpan<char> path, out ReadOnlySpan<char> tail)
    {
        const string Accounts = "/client/v4/accounts/", Namespaces = "/storage/kv/namespaces/";
        tail = default;
        int at = path.IndexOf(Namespaces, StringComparison.Ordinal);
        if (!path.StartsWith(Accounts, StringComparison.Ordinal) || at < 0) return false;
        tail = path[(at + Namespaces.Length)..];
        return !tail.IsEmpty;
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
