using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Kivi.Caching;
using Kivi.Protocol;

namespace Kivi.Client;

/// <summary>
/// A Kivi origin or edge as the upstream of a cache: reads through the workerd binding protocol (value,
/// metadata, expiration and version in one round trip), the change feed as NDJSON. Network failures,
/// timeouts and 5xx answers surface as <see cref="UpstreamUnavailableException"/>.
/// </summary>
public sealed class KiviUpstream : IKvUpstream, IKvFeed
{
    /// <summary>What a refusal of an edge's reads tells its operator.</summary>
    public const string EdgeRefusalHint = " The token given for the upstream (an edge's --upstream-token) needs the replication or admin permission of the account it serves.";

    private readonly HttpClient _http;
    private readonly HttpClient _feedHttp;
    private readonly string _feedPath;
    private readonly string _refusalHint;
    private readonly AuthenticationHeaderValue _auth;
    private readonly int _maxEntryBytes;
    private readonly TimeSpan _heartbeat;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeSpan _requestTimeout;

    /// <param name="http">Its BaseAddress is the upstream's root URL; leave its Timeout infinite (the feed is one long response).</param>
    /// <param name="requestTimeout">How long a read or list may take before it counts as an outage (default 10 s).</param>
    /// <param name="feedHttp">The client for the feed, when <paramref name="http"/> has handlers (retries, timeouts) a never-ending response must not pass through.</param>
    /// <param name="feedPath">The feed to follow: the account's (an edge's, by default) or one namespace's watch, with its query.</param>
    /// <param name="refusalHint">Appended to the message of a 401 or 403.</param>
    public KiviUpstream(HttpClient http, string token, KvCacheOptions options, TimeSpan? requestTimeout = null,
        HttpClient? feedHttp = null, string feedPath = "client/v4/kivi/changes", string refusalHint = EdgeRefusalHint)
    {
        _requestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10);
        ArgumentNullException.ThrowIfNull(http.BaseAddress);
        _http = http;
        _feedHttp = feedHttp ?? http;
        _feedPath = feedPath;
        _refusalHint = refusalHint;
        _auth = new AuthenticationHeaderValue("Bearer", token);
        _maxEntryBytes = options.MaxEntryBytes;
        _heartbeat = options.FeedHeartbeat;
        _stallTimeout = options.FeedHealthTimeout;
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public Task<UpstreamRead> GetAsync(CacheKey key, CancellationToken cancellationToken) => GetAsync(key, strong: false, cacheTtl: null, cancellationToken);

    /// <summary>Reads a key; <paramref name="strong"/> asks every cache on the way to step aside (<c>consistency=strong</c>).</summary>
    public async Task<UpstreamRead> GetAsync(CacheKey key, bool strong, TimeSpan? cacheTtl, CancellationToken cancellationToken)
    {
        using var request = BindingRequest(key.NamespaceId, "/" + PercentEncode(key.Key) + "?urlencoded=true" + ReadQuery(strong, cacheTtl));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token, cancellationToken);
        try
        {
            long asOf = HeaderLong(response, KiviHeaders.Head) ?? 0;
            string? store = response.Headers.TryGetValues(KiviHeaders.Store, out var s) ? s.First() : null;
            long? epoch = HeaderLong(response, KiviHeaders.Epoch);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return new UpstreamRead { AsOf = asOf, StoreId = store, Epoch = epoch };
            }
            await EnsureSuccessAsync(response, "read", cancellationToken);
            long length = response.Content.Headers.ContentLength ?? -1;
            string? metadata = response.Headers.TryGetValues(KiviHeaders.CfKvMetadata, out var m) ? Metadata.FromHeader(m.First()) : null;
            long? expiration = HeaderLong(response, KiviHeaders.CfExpiration);
            long version = HeaderLong(response, KiviHeaders.Version) ?? 0;
            if (length < 0 || length > _maxEntryBytes)
            {
                var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                return new UpstreamRead { Found = true, Body = new OwningStream(body, response), Length = length, Metadata = metadata, Expiration = expiration, Version = version, AsOf = asOf, StoreId = store, Epoch = epoch };
            }
            var value = await ReadBodyAsync(response, timeout.Token, cancellationToken);
            response.Dispose();
            return new UpstreamRead { Found = true, Value = value, Length = value.Length, Metadata = metadata, Expiration = expiration, Version = version, AsOf = asOf, StoreId = store, Epoch = epoch };
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public Task<UpstreamList> ListAsync(string namespaceId, byte[] prefix, byte[]? startAfter, int limit, CancellationToken cancellationToken) =>
        ListAsync(namespaceId, prefix, startAfter, limit, strong: false, cacheTtl: null, cancellationToken);

    /// <summary>Lists a page of keys, as <see cref="ListAsync(string, byte[], byte[], int, CancellationToken)"/>, optionally strongly.</summary>
    public async Task<UpstreamList> ListAsync(string namespaceId, byte[] prefix, byte[]? startAfter, int limit, bool strong, TimeSpan? cacheTtl, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("/?key_count_limit=").Append(limit.ToString(CultureInfo.InvariantCulture)).Append(ReadQuery(strong, cacheTtl));
        if (prefix.Length > 0) query.Append("&prefix=").Append(PercentEncode(prefix));
        if (startAfter is not null) query.Append("&cursor=").Append(ListCursor.Encode(startAfter));
        using var request = BindingRequest(namespaceId, query.ToString());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token, cancellationToken);
        await EnsureSuccessAsync(response, "list", cancellationToken);
        long asOf = HeaderLong(response, KiviHeaders.Head) ?? 0;
        using var doc = JsonDocument.Parse(await ReadBodyAsync(response, timeout.Token, cancellationToken));
        var keys = new List<ListedKey>();
        foreach (var k in doc.RootElement.GetProperty("keys").EnumerateArray())
        {
            long? expiration = k.TryGetProperty("expiration", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt64() : null;
            string? metadata = k.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.String ? md.GetString() : null;
            keys.Add(new ListedKey(Encoding.UTF8.GetBytes(k.GetProperty("name").GetString()!), metadata, expiration, 0));
        }
        bool complete = doc.RootElement.TryGetProperty("list_complete", out var lc) && lc.ValueKind == JsonValueKind.True;
        return new UpstreamList(keys, !complete, asOf);
    }

    /// <summary>
    /// GETs a Cloudflare-envelope endpoint (the replication lookups an edge makes): the parsed answer, or
    /// null for a 404; failures as for reads.
    /// </summary>
    public async Task<JsonDocument?> GetEnvelopeAsync(string path, string what, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = _auth;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, what, cancellationToken);
        return JsonDocument.Parse(await ReadBodyAsync(response, timeout.Token, cancellationToken));
    }

    /// <summary>GETs an envelope endpoint and reads its <c>result</c> as <paramref name="type"/>; null for a 404.</summary>
    public async Task<T?> GetResultAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what, CancellationToken cancellationToken) where T : class
    {
        using var doc = await GetEnvelopeAsync(path, what, cancellationToken);
        return doc is null ? null : EnvelopeJson.Result(doc.RootElement, type);
    }

    /// <summary>Follows the feed from <paramref name="afterVersion"/> (from the head when negative) until the connection ends or stalls.</summary>
    public IAsyncEnumerable<FeedEvent> ReadAsync(FeedPosition from, CancellationToken cancellationToken) => ReadFeedAsync(_feedPath, from, cancellationToken);

    /// <summary>Follows the feed at <paramref name="feedPath"/> (the account's, or one namespace's watch) from <paramref name="from"/>.</summary>
    public async IAsyncEnumerable<FeedEvent> ReadFeedAsync(string feedPath, FeedPosition from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string url = feedPath + (feedPath.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"heartbeat_ms={(long)_heartbeat.TotalMilliseconds}" + from.Query();
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(_stallTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = _auth;
        using var response = await SendAsync(_feedHttp, request, HttpCompletionOption.ResponseHeadersRead, stall.Token, cancellationToken);
        await EnsureSuccessAsync(response, "change feed", cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(stall.Token);
        // Lines are read from the bytes as they arrive (several a packet under load), each parsed without a string.
        var buffer = new byte[64 * 1024];
        int start = 0, end = 0;
        while (true)
        {
            if (end == buffer.Length)
            {
                if (start > 0) buffer.AsSpan(start, end - start).CopyTo(buffer); // the unfinished line to the front
                else Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer
                end -= start;
                start = 0;
            }
            int read;
            try
            {
                read = await stream.ReadAsync(buffer.AsMemory(end), stall.Token);
            }
            catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new UpstreamUnavailableException($"The change feed of {BaseAddress} stopped: {(e is OperationCanceledException ? $"nothing arrived for {_stallTimeout.TotalSeconds:0.#} s" : e.Message)}", e);
            }
            if (read == 0) yield break; // a line the connection cut off is no line
            int scanned = end;
            end += read;
            bool arrived = false;
            while (Array.IndexOf(buffer, (byte)'\n', scanned, end - scanned) is var newline and >= 0)
            {
                var line = buffer.AsMemory(start, newline - start);
                if (line.Length > 0 && line.Span[^1] == '\r') line = line[..^1];
                start = scanned = newline + 1;
                if (line.IsEmpty) continue;
                if (!arrived)
                {
                    stall.CancelAfter(_stallTimeout);
                    arrived = true;
                }
                yield return FeedLine.Parse(line);
            }
            if (start == end) start = end = 0;
        }
    }

    private static string ReadQuery(bool strong, TimeSpan? cacheTtl) =>
        (strong ? "&consistency=strong" : "") + (cacheTtl is { } ttl ? "&cache_ttl=" + ((long)ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture) : "");

    internal HttpRequestMessage BindingRequest(string namespaceId, string pathAndQuery, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, pathAndQuery.TrimStart('/').Length == 0 ? "/" : pathAndQuery);
        request.Headers.Authorization = _auth;
        request.Headers.Add(KiviHeaders.Namespace, namespaceId);
        return request;
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken bounded, CancellationToken caller) =>
        SendAsync(_http, request, completion, bounded, caller);

    /// <summary>Sends a request with the read timeout; network failures and timeouts become <see cref="UpstreamUnavailableException"/>.</summary>
    internal async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        return await SendAsync(_http, request, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken);
    }

    /// <summary>What went wrong reaching an upstream, in words an operator can act on (a refused certificate says so).</summary>
    public static string Describe(HttpRequestException e) => e.InnerException switch
    {
        System.Security.Authentication.AuthenticationException tls =>
            $"its TLS certificate was refused ({tls.Message}); it must chain to the CA given with --upstream-ca (or the system's) and name the host dialled",
        { } inner when e.Message.Contains("inner exception", StringComparison.Ordinal) => $"{e.Message.Replace(", see inner exception.", "", StringComparison.Ordinal)}: {inner.Message}",
        _ => e.Message,
    };

    private async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, HttpCompletionOption completion, CancellationToken bounded, CancellationToken caller)
    {
        try
        {
            return await http.SendAsync(request, completion, bounded);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamUnavailableException($"The upstream {BaseAddress} is unreachable: {Describe(e)}", e);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw new UpstreamUnavailableException($"The upstream {BaseAddress} did not answer in time.", e);
        }
    }

    /// <summary>
    /// Throws for an error answer: <see cref="UpstreamUnavailableException"/> for a 5xx, otherwise
    /// <see cref="UpstreamRefusedException"/> with the server's code and message (from the REST envelope,
    /// or from a binding answer's text and <c>Kivi-Error-Code</c>).
    /// </summary>
    internal async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        string text = response.ReasonPhrase ?? "";
        int status = (int)response.StatusCode;
        int code = response.Headers.TryGetValues(KiviHeaders.ErrorCode, out var codes) && int.TryParse(codes.First(), CultureInfo.InvariantCulture, out int c) ? c : 0;
        try
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (body.Length is > 0 and < 4000) text = body;
            if (EnvelopeJson.TryReadError(body, out int envelopeCode, out string message))
            {
                if (envelopeCode != 0) code = envelopeCode;
                if (message.Length > 0) text = message;
            }
        }
        catch (HttpRequestException) { }
        if (status >= 500) throw new UpstreamUnavailableException($"The upstream {BaseAddress} failed a {what}: {status} {text}");
        string hint = status is 401 or 403 ? _refusalHint : "";
        throw new UpstreamRefusedException(status, code, text, $"The upstream {BaseAddress} refused a {what}: {status} {text}{hint}");
    }

    /// <summary>Reads a body; a connection lost or a timeout midway is an outage, not a caller's cancellation.</summary>
    private async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken timeout, CancellationToken caller)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(timeout);
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !caller.IsCancellationRequested))
        {
            throw new UpstreamUnavailableException($"The upstream {BaseAddress} stopped answering midway: {e.Message}", e);
        }
    }

    internal static long? HeaderLong(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) && long.TryParse(values.First(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;

    /// <summary>Percent-encodes every byte but the unreserved ones, so any UTF-8 key survives the path.</summary>
    internal static string PercentEncode(ReadOnlySpan<byte> utf8)
    {
        var sb = new StringBuilder(utf8.Length * 3);
        foreach (byte b in utf8)
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'~')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class OwningStream(Stream inner, HttpResponseMessage owner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
