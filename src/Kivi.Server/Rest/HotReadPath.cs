using System.Globalization;
using Kivi.Caching;
using Kivi.Core;
using Kivi.Core.Storage;
using Kivi.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Net.Http.Headers;

namespace Kivi.Server.Rest;

/// <summary>
/// The hot read of an edge or a single node, ahead of routing: <c>GET …/values/{key}</c> for a key, token
/// and namespace the node already holds fresh is answered straight from memory. Anything else (a query string, an escaped
/// key, a token or namespace not seen lately, a value to fetch) goes down the full pipeline, which holds
/// every rule; this path only reuses those rules' answers (<see cref="Kivi.Core.Access.Caller.CanRead"/>,
/// the key rules of <see cref="KeyName"/>, the cache's freshness) without routing or per-request scopes.
/// </summary>
internal sealed class HotReadPath(RequestDelegate next, IHotReads hot, ICallerAuthenticator authenticator, KvLimits limits, HotReadCounter counter, Usage.UsageMeter meter, Kivi.Core.Storage.IQuotaGate quota, Telemetry.KiviMetrics metrics)
{
    /// <summary>The route the value endpoint is mapped with (account, namespace, key), matched as sent.</summary>
    private static readonly RawRouteMatcher Route = new(RoutePatternFactory.Parse(KiviApi.Root + KiviApi.Namespaces + ValueEndpoints.ValueRoute));
    private static readonly string[] OctetStream = ["application/octet-stream"];

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) || request.QueryString.HasValue
            || request.Headers.ContainsKey(KiviHeaders.Namespace)) return next(context);
        // The target as sent: Kestrel's Path has dot segments resolved, which the full pipeline refuses.
        string? target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is not null && !DotSegmentGuard.HasDotSegment(target, out _)
            && Match(target, out var account, out var namespaceId, out var rawKey)
            && TokenAuthenticator.RequestToken(request) is { } token
            && authenticator.TryGetKnown(token) is { } caller && hot.ServesFromCache(caller)
            && hot.TryGetKnownNamespace(namespaceId) is { } ns && account.SequenceEqual(ns.AccountId) && caller.CanRead(ns)
            && quota.TryAdmitRead(ns)
            && Key(rawKey) is { } key
            && hot.Cache.TryGetFresh(new CacheKey(ns.Id, key), hot.DefaultCacheTtl) is { IsPresent: true } entry) // fresh implies not expired
        {
            counter.Add();
            meter.Read(ns, entry.Value!.Length);
            metrics.Operation("get", StatusCodes.Status200OK);
            using var span = Telemetry.KvSpans.Start("kv_get", "get");
            span?.SetTag("cloudflare.kv.response.cache_status", "HIT");
            return WriteAsync(context.Response, entry);
        }
        return next(context);
    }

    private static Task WriteAsync(HttpResponse response, CachedEntry entry)
    {
        var headers = response.Headers;
        headers[KiviHeaders.Head] = entry.AsOfText;
        headers.ContentType = OctetStream;
        headers.ContentLength = entry.Value!.Length;
        headers[HeaderNames.ETag] = entry.QuotedVersionText;
        headers[KiviHeaders.Version] = entry.VersionText;
        if (entry.Expiration is { } expiration) headers[KiviHeaders.Expiration] = expiration.ToString(CultureInfo.InvariantCulture);
        return response.BodyWriter.WriteAsync(entry.Value).AsTask();
    }

    /// <summary>The account, namespace and key (as sent) of a GET of the value route.</summary>
    private static bool Match(string path, out ReadOnlySpan<char> account, out ReadOnlySpan<char> namespaceId, out ReadOnlySpan<char> rawKey)
    {
        Span<Range> values = stackalloc Range[3];
        bool matched = Route.TryMatch(path, values);
        account = matched ? path.AsSpan(values[0]) : default;
        namespaceId = matched ? path.AsSpan(values[1]) : default;
        rawKey = matched ? path.AsSpan(values[2]) : default;
        return matched;
    }

    /// <summary>The key's bytes, decoded and checked exactly as the full pipeline does; null when it would refuse it.</summary>
    private byte[]? Key(ReadOnlySpan<char> raw)
    {
        try
        {
            return KeyName.ToUtf8(RawKey.Decode(raw), limits);
        }
        catch (KvException)
        {
            return null; // the full pipeline says what is wrong with it
        }
    }
}
