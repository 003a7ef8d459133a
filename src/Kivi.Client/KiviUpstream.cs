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
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue _auth;
    private readonly int _maxEntryBytes;
    private readonly TimeSpan _heartbeat;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeSpan _requestTimeout;

    /// <param name="http">Its BaseAddress is the upstream's root URL; leave its Timeout infinite (the feed is one long response).</param>
    /// <param name="requestTimeout">How long a read or list may take before it counts as an outage (default 10 s).</param>
    public KiviUpstream(HttpClient http, string token, KvCacheOptions options, TimeSpan? requestTimeout = null)
    {
        _requestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10);
        ArgumentNullException.ThrowIfNull(http.BaseAddress);
        _http = http;
        _auth = new AuthenticationHeaderValue("Bearer", token);
        _maxEntryBytes = options.MaxEntryBytes;
        _heartbeat = options.FeedHeartbeat;
        _stallTimeout = options.FeedHealthTimeout;
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public async Task<UpstreamRead> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        using var request = BindingRequest(key.NamespaceId, "/" + PercentEncode(key.Key) + "?urlencoded=true");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token, cancellationToken);
        try
        {
            long asOf = HeaderLong(response, KiviHeaders.Head) ?? 0;
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return UpstreamRead.Missing(asOf);
            }
            await EnsureSuccessAsync(response, "read", cancellationToken);
            long length = response.Content.Headers.ContentLength ?? -1;
            string? metadata = response.Headers.TryGetValues(KiviHeaders.CfKvMetadata, out var m) ? m.First() : null;
            long? expiration = HeaderLong(response, KiviHeaders.CfExpiration);
            long version = HeaderLong(response, KiviHeaders.Version) ?? 0;
            if (length < 0 || length > _maxEntryBytes)
            {
                var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                return new UpstreamRead { Found = true, Body = new OwningStream(body, response), Length = length, Metadata = metadata, Expiration = expiration, Version = version, AsOf = asOf };
            }
            var value = await ReadBodyAsync(response, timeout.Token, cancellationToken);
            response.Dispose();
            return new UpstreamRead { Found = true, Value = value, Length = value.Length, Metadata = metadata, Expiration = expiration, Version = version, AsOf = asOf };
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<UpstreamList> ListAsync(string namespaceId, byte[] prefix, byte[]? startAfter, int limit, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("/?key_count_limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
        if (prefix.Length > 0) query.Append("&prefix=").Append(PercentEncode(prefix));
        if (startAfter is not null) query.Append("&cursor=").Append(System.Buffers.Text.Base64Url.EncodeToString(startAfter));
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

    /// <summary>Follows the feed from <paramref name="afterVersion"/> (from the head when negative) until the connection ends or stalls.</summary>
    public async IAsyncEnumerable<FeedEvent> ReadAsync(long afterVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string url = $"client/v4/kivi/changes?heartbeat_ms={(long)_heartbeat.TotalMilliseconds}" + (afterVersion >= 0 ? $"&after={afterVersion}" : "");
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(_stallTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = _auth;
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token, cancellationToken);
        await EnsureSuccessAsync(response, "change feed", cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stall.Token), Encoding.UTF8);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(stall.Token);
            }
            catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new UpstreamUnavailableException($"The change feed of {BaseAddress} stopped: {(e is OperationCanceledException ? $"nothing arrived for {_stallTimeout.TotalSeconds:0.#} s" : e.Message)}", e);
            }
            if (line is null) yield break;
            if (line.Length == 0) continue;
            stall.CancelAfter(_stallTimeout);
            yield return ParseLine(line);
        }
    }

    internal static FeedEvent ParseLine(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var o = doc.RootElement;
        string type = o.GetProperty("type").GetString()!;
        long head = o.TryGetProperty("head", out var h) ? h.GetInt64() : 0;
        switch (type)
        {
            case "heartbeat": return FeedEvent.Heartbeat(head);
            case "reset": return FeedEvent.ResetTo(head);
        }
        var kind = o.GetProperty("kind").GetString() switch
        {
            "put" => FeedEventKind.Put,
            "delete" => FeedEventKind.Delete,
            "expire" => FeedEventKind.Expire,
            "namespace_dropped" => FeedEventKind.NamespaceDropped,
            var other => throw new InvalidDataException($"Unknown change kind \"{other}\" in the feed."),
        };
        byte[]? key = o.TryGetProperty("key", out var k) ? Encoding.UTF8.GetBytes(k.GetString()!) : null;
        long? expiration = o.TryGetProperty("expiration", out var e) ? e.GetInt64() : null;
        byte[]? value = o.TryGetProperty("value", out var v) ? v.GetBytesFromBase64() : null;
        string? metadata = o.TryGetProperty("metadata", out var md) && md.ValueKind != JsonValueKind.Null ? md.GetRawText() : null;
        return new FeedEvent(kind, o.GetProperty("version").GetInt64(), head, o.GetProperty("namespace").GetString(), key, expiration, value, metadata,
            o.TryGetProperty("account", out var a) ? a.GetString() : null);
    }

    private HttpRequestMessage BindingRequest(string namespaceId, string pathAndQuery)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery.TrimStart('/').Length == 0 ? "/" : pathAndQuery);
        request.Headers.Authorization = _auth;
        request.Headers.Add(KiviHeaders.Namespace, namespaceId);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken bounded, CancellationToken caller)
    {
        try
        {
            return await _http.SendAsync(request, completion, bounded);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamUnavailableException($"The upstream {BaseAddress} is unreachable: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw new UpstreamUnavailableException($"The upstream {BaseAddress} did not answer in time.", e);
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        string text = response.ReasonPhrase ?? "";
        try
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (body.Length is > 0 and < 2000) text = body;
        }
        catch (HttpRequestException) { }
        int status = (int)response.StatusCode;
        if (status >= 500) throw new UpstreamUnavailableException($"The upstream {BaseAddress} failed a {what}: {status} {text}");
        string hint = status is 401 or 403 ? " The token given for the upstream (an edge's --upstream-token) needs the replication or admin permission of the account it serves." : "";
        throw new UpstreamRefusedException(status, $"The upstream {BaseAddress} refused a {what}: {status} {text}{hint}");
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

    private static long? HeaderLong(HttpResponseMessage response, string name) =>
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
