using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Kivi.Benchmarks;

/// <summary>
/// Hostile requests over raw sockets (HttpClient would normalise the very targets this is about): every
/// endpoint with every kind of token on in-scope, out-of-scope and foreign namespaces, path tricks,
/// malformed and oversize input. Counts 5xx answers, error answers without Cloudflare's envelope (or, on
/// the binding protocol, without a status text and Kivi-Error-Code), and at the end checks that no key a
/// refused request named was stored. Kestrel refuses some targets (%00, a raw NUL or non-ASCII byte)
/// before Kivi sees them, with an empty 400: those are counted apart.
/// </summary>
internal static class Fuzz
{
    private sealed record Target(string Account, string Namespace);

    private sealed class Counts
    {
        public long Sent, ServerErrors, NoEnvelope, KestrelRefusals, Accepted, Refused;
        public readonly ConcurrentBag<string> Examples = [];
        public readonly ConcurrentDictionary<string, bool> WrittenKeys = new(StringComparer.Ordinal); // key -> accepted
    }

    public static async Task<int> RunAsync(Options o)
    {
        var options = (Origin: o.Text("origin"), Token: o.Text("token"), Requests: o.Int("requests", 100_000), Seed: o.Int("seed", 1));
        var admin = Http.Client(options.Origin, options.Token);
        string mainPath = await Http.NamespaceAsync(admin, "fuzz");
        string otherPath = await Http.NamespaceAsync(admin, "fuzz-other");
        string account = mainPath.Split('/')[3], ns = mainPath.Split('/')[^1], otherNs = otherPath.Split('/')[^1];
        using var created = await admin.PostAsync("client/v4/accounts", new StringContent("""{"name":"fuzz-foreign"}"""));
        string foreignAccount = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("id").GetString()!;
        using var foreignCreated = await admin.PostAsync($"client/v4/accounts/{foreignAccount}/storage/kv/namespaces", new StringContent("""{"title":"fuzz-foreign"}"""));
        string foreignNs = JsonDocument.Parse(await foreignCreated.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("id").GetString()!;
        async Task<string> Token(string permission, string[]? namespaces)
        {
            using var r = await admin.PostAsync($"client/v4/accounts/{account}/tokens",
                new StringContent(JsonSerializer.Serialize(new { name = "fuzz-" + permission, permission, namespaces })));
            return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("value").GetString()!;
        }
        string[] tokens =
        [
            options.Token, await Token("read", [ns]), await Token("write", [ns]), await Token("replication", null),
            await Token("admin", [ns]), "kivi_not_a_token", "",
        ];
        Target[] targets = [new(account, ns), new(account, otherNs), new(foreignAccount, foreignNs), new(account, "0123456789abcdef0123456789abcdef"), new("ffffffffffffffffffffffffffffffff", ns)];
        var uri = new Uri(options.Origin);
        var counts = new Counts();
        long next = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var workers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            var random = new Random(options.Seed * 31 + w);
            while (true)
            {
                long n = Interlocked.Increment(ref next);
                if (n > options.Requests) return;
                var (raw, keys, binding, kestrel) = Generate(random, n, tokens, targets);
                await SendAsync(uri, raw, keys, binding, kestrel, counts);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        double seconds = started.Elapsed.TotalSeconds;

        // Nothing a refused request named may exist: list every key of the two namespaces the fuzzer may write.
        long leaked = 0;
        foreach (var path in new[] { mainPath, otherPath })
        {
            string? cursor = null;
            do
            {
                using var page = await admin.GetAsync($"{path}/keys?limit=1000" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                string text = await page.Content.ReadAsStringAsync();
                if (!page.IsSuccessStatusCode) throw new InvalidOperationException($"listing {path} after the run failed: {(int)page.StatusCode} {text}");
                using var doc = JsonDocument.Parse(text);
                foreach (var k in doc.RootElement.GetProperty("result").EnumerateArray())
                {
                    string name = k.GetProperty("name").GetString()!;
                    if (counts.WrittenKeys.TryGetValue(name, out bool accepted) && !accepted)
                    {
                        leaked++;
                        counts.Examples.Add($"stored although refused: {name}");
                    }
                }
                cursor = doc.RootElement.GetProperty("result_info").GetProperty("cursor").GetString();
            } while (!string.IsNullOrEmpty(cursor));
        }
        Console.WriteLine($"fuzz: {counts.Sent:N0} hostile requests in {seconds:N0} s ({counts.Accepted:N0} accepted, {counts.Refused:N0} refused by Kivi, {counts.KestrelRefusals:N0} refused by Kestrel before Kivi)");
        Console.WriteLine($"5xx answers: {counts.ServerErrors}; error answers without an envelope: {counts.NoEnvelope}; keys stored by a refused request: {leaked}");
        foreach (var example in counts.Examples.Take(20)) Console.WriteLine("  " + example);
        return counts.ServerErrors == 0 && counts.NoEnvelope == 0 && leaked == 0 ? 0 : 1;
    }

    private static readonly string[] KeyShapes =
    [
        "plain", "with/slash", "sp ace", "%2e%2e", "..", ".", "a%00b", "é-accent", "%ED%A0%80", "%FF", "%", "%zz", "a%2Fb",
        "tab\t", "quote\"", "<script>alert(1)</script>", "emoji-😀",
    ];

    /// <summary>One hostile request as raw bytes, the keys it may write, and what kind of answer to expect.</summary>
    private static (byte[] Raw, string[] Keys, bool Binding, bool Kestrel) Generate(Random r, long n, string[] tokens, Target[] targets)
    {
        string token = tokens[r.Next(tokens.Length)];
        var target = targets[r.Next(targets.Length)];
        string unique = $"fuzz-{n}";
        string key = r.Next(4) switch
        {
            0 => unique,
            1 => unique + "-" + KeyShapes[r.Next(KeyShapes.Length)],
            2 => new string('k', r.Next(500, 530)) + n,
            _ => Uri.EscapeDataString(unique + "/" + KeyShapes[r.Next(KeyShapes.Length)]),
        };
        bool kestrel = key.Contains("%00", StringComparison.Ordinal) || key.Any(c => c > 127 || c <= 32); // not a valid request line
        string ns = $"/client/v4/accounts/{target.Account}/storage/kv/namespaces/{target.Namespace}";
        string query = r.Next(6) switch
        {
            0 => "?expiration_ttl=" + Pick(r, "30", "60", "-1", "1e9", "abc", "99999999999999999999", "61&expiration_ttl=62"),
            1 => "?expiration=" + Pick(r, "0", "1", "253402300800", "x", "4102444800"),
            2 => "?cache_ttl=" + Pick(r, "10", "NaN", "1e309", "30", "30&cache_ttl=31"),
            3 => "?limit=" + Pick(r, "0", "1001", "-5", "10", "x") + "&cursor=" + Pick(r, "", "bad", "%ED%A0%80", "AAAA"),
            4 => "?prefix=" + Pick(r, "%ED%A0%80", "a", "%FF", "fuzz-", "%25") + "&consistency=" + Pick(r, "strong", "eventual", "weird"),
            _ => "",
        };
        string method, path, body = "", contentType = "application/json";
        string[] keys = [];
        bool binding = false;
        switch (r.Next(12))
        {
            case 0 or 1:
                method = "PUT"; path = $"{ns}/values/{key}"; body = Pick(r, "v", "", new string('x', 2000));
                keys = [Uri.UnescapeDataString(key)]; contentType = "application/octet-stream";
                break;
            case 2:
                (method, path, contentType, body) = ("PUT", $"{ns}/values/{key}", "multipart/form-data; boundary=b", Multipart(r));
                keys = [Uri.UnescapeDataString(key)];
                break;
            case 3:
                method = "PUT"; path = $"{ns}/bulk";
                var bulkKeys = Enumerable.Range(0, r.Next(1, 4)).Select(i => $"{unique}-bulk{i}").ToArray();
                body = BulkBody(r, bulkKeys); keys = bulkKeys;
                break;
            case 4:
                method = Pick(r, "POST", "DELETE"); path = $"{ns}/bulk" + (method == "POST" ? "/delete" : "");
                body = Pick(r, "[\"a\"]", "[\"a\"] trailing", "[1,2]", "{}", "", "[" + new string('[', 100));
                break;
            case 5:
                method = "POST"; path = $"{ns}/bulk/get";
                body = Pick(r, "{\"keys\":[\"a\"]}", "{\"keys\":[\"a\"],\"cacheTtl\":1e309}", "{\"keys\":[]}", "{\"keys\":[\"a\"],\"type\":\"stream\"}", "{\"keys\":[\"a\\u0000b\"]}", "not json");
                break;
            case 6:
                method = Pick(r, "GET", "DELETE", "PATCH", "HEAD"); path = Pick(r, $"{ns}/values/{key}", $"{ns}/metadata/{key}", $"{ns}/keys", ns, $"{ns}/", $"{ns}/%2e%2e/{target.Namespace}/values/k", $"{ns}/values/", $"{ns}/values//x");
                if (method == "DELETE" && (path == ns || path == ns + "/") && (token == tokens[0] || token == tokens[4])) method = "GET"; // keep the run's namespaces
                break;
            case 7:
                // Namespace and token management: never with an admin token, so the run keeps its namespaces and tokens
                // (the scoped admin may delete the namespace it lists; the tests cover what admins may do).
                if (token == tokens[0] || token == tokens[4]) token = tokens[2];
                method = Pick(r, "POST", "PUT", "DELETE", "GET");
                path = Pick(r, $"/client/v4/accounts/{target.Account}/storage/kv/namespaces", ns, $"/client/v4/accounts/{target.Account}/tokens", $"/client/v4/accounts/{target.Account}/tokens/x/value");
                body = Pick(r, "{\"title\":\"t\"}", "{\"title\":\"\"}", "{\"title\":\"t\",\"jurisdiction\":\"mars\"}", "{\"name\":\"n\",\"permission\":\"admin\"}", "{\"name\":\"n\",\"permission\":\"root\"}", "{");
                break;
            case 8:
                method = "GET"; path = Pick(r, "/client/v4/kivi/changes?after=0", "/client/v4/kivi/changes?after=-1", "/client/v4/kivi/changes?after=99999999999&store=x&epoch=1",
                    "/client/v4/kivi/tokens/zz", $"/client/v4/kivi/namespaces/{target.Namespace}", $"/client/v4/kivi/accounts/{target.Account}", "/client/v4/kivi/snapshot?x=1");
                if (path.Contains("changes", StringComparison.Ordinal) || path.Contains("snapshot", StringComparison.Ordinal)) path = "/client/v4/kivi/tokens/" + new string('a', 64);
                break;
            case 9:
                method = Pick(r, "GET", "PUT", "DELETE", "POST"); path = Pick(r, $"/{key}?urlencoded=true", "/?key_count_limit=2000", "/bulk/get", $"/{key}?urlencoded=true&expiration_ttl=5");
                binding = true; body = method is "PUT" or "POST" ? Pick(r, "v", "{\"keys\":[\"a\"]}", "{") : "";
                if (method == "PUT" && !path.StartsWith("/bulk", StringComparison.Ordinal)) keys = [Uri.UnescapeDataString(key)];
                break;
            case 10:
                method = "GET"; path = $"{ns}/values/{new string('a', r.Next(8000, 9500))}";
                break;
            default:
                method = Pick(r, "GET", "PUT"); path = Pick(r, "/client/v4/nowhere", "/client/v4/accounts/x/storage/kv/namespaces/y/values/z", "/client/v4/accounts", "/client/v4/memberships", "/client/v4/user/tokens/verify");
                break;
        }
        var head = new StringBuilder().Append(method).Append(' ').Append(path).Append(binding ? "" : query).Append(" HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n");
        if (binding) head.Append("X-Kivi-Namespace: ").Append(target.Namespace).Append("\r\n");
        switch (r.Next(8))
        {
            case 0: head.Append("X-Auth-Email: fuzz@example.com\r\nX-Auth-Key: ").Append(token).Append("\r\n"); break;
            case 1: head.Append("Authorization: Bearer ").Append(token).Append("\r\nAuthorization: Bearer ").Append(tokens[1]).Append("\r\n"); break;
            case 2: head.Append("Authorization: Basic ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes("u:" + token))).Append("\r\n"); break;
            case 3: head.Append("X-Padding: ").Append(new string('p', 40_000)).Append("\r\nAuthorization: Bearer ").Append(token).Append("\r\n"); break;
            default: if (token.Length > 0) head.Append("Authorization: Bearer ").Append(token).Append("\r\n"); break;
        }
        byte[] payload = Encoding.UTF8.GetBytes(body);
        if (r.Next(20) == 0) payload = [.. payload, 0xFF, 0xFE, 0xED, 0xA0, 0x80]; // invalid UTF-8 after the body
        head.Append("Content-Type: ").Append(contentType).Append("\r\nContent-Length: ").Append(payload.Length).Append("\r\n\r\n");
        byte[] headBytes = Encoding.UTF8.GetBytes(head.ToString());
        // Writes that a token may make are recorded as accepted or refused from the answer; keys are unique per request.
        return ([.. headBytes, .. payload], keys, binding, kestrel);
    }

    private static string Pick(Random r, params string[] options) => options[r.Next(options.Length)];

    private static string BulkBody(Random r, string[] keys)
    {
        var items = string.Join(',', keys.Select(k => r.Next(6) switch
        {
            0 => $"{{\"key\":\"{k}\",\"value\":\"v\",\"expiration_ttl\":30}}",
            1 => $"{{\"key\":\"{k}\",\"value\":\"%%%\",\"base64\":true}}",
            2 => $"{{\"key\":\"{k}\",\"value\":\"v\",\"metadata\":{new string('[', 70)}{new string(']', 70)}}}",
            3 => $"{{\"key\":\"{k}\\u0000\",\"value\":\"v\"}}",
            _ => $"{{\"key\":\"{k}\",\"value\":\"v\",\"metadata\":{{\"a\":1}}}}",
        }));
        return Pick(r, "[" + items + "]", "[" + items + "] }}}not json", "[" + items + "][" + items + "]", "[" + items);
    }

    private static string Multipart(Random r)
    {
        string Part(string name, string content) => $"--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{content}\r\n";
        string parts = r.Next(6) switch
        {
            0 => Part("value", "v") + Part("metadata", "{\"a\":1}"),
            1 => Part("value", "v") + Part("metadata[by]", "sdk"),
            2 => Part("value", "v") + Part("value", "w"),
            3 => Part("value", "v") + Part("extra", "x"),
            4 => Part("metadata", "{\"a\":1}"),
            _ => Part("value", "v") + Part("metadata", new string('[', 65) + new string(']', 65)),
        };
        return parts + (r.Next(5) == 0 ? "" : "--b--\r\n");
    }

    private static async Task SendAsync(Uri server, byte[] request, string[] keys, bool binding, bool kestrel, Counts counts)
    {
        Interlocked.Increment(ref counts.Sent);
        byte[] answer;
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(server.Host, server.Port);
            var stream = tcp.GetStream();
            try { await stream.WriteAsync(request); } catch (IOException) { } // the server may answer and close before reading it all
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var received = new MemoryStream();
            await stream.CopyToAsync(received, timeout.Token);
            answer = received.ToArray();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            counts.Examples.Add($"no answer: {e.Message}: {Encoding.UTF8.GetString(request, 0, Math.Min(request.Length, 120))}");
            Interlocked.Increment(ref counts.NoEnvelope);
            return;
        }
        int split = answer.AsSpan().IndexOf("\r\n\r\n"u8);
        string response = Encoding.ASCII.GetString(answer, 0, split < 0 ? answer.Length : split);
        if (response.Length < 12 || !int.TryParse(response.AsSpan(9, 3), out int status))
        {
            Interlocked.Increment(ref counts.NoEnvelope);
            return;
        }
        bool ok = status is >= 200 and < 300;
        foreach (var key in keys) counts.WrittenKeys.AddOrUpdate(key, ok, (_, before) => before || ok);
        Interlocked.Increment(ref ok ? ref counts.Accepted : ref counts.Refused);
        if (status >= 500)
        {
            Interlocked.Increment(ref counts.ServerErrors);
            counts.Examples.Add($"{status}: {Encoding.UTF8.GetString(request, 0, Math.Min(request.Length, 160))}\n    -> {response[..Math.Min(response.Length, 400)]}");
        }
        if (ok || status == 404 && binding) return;
        string headers = response;
        byte[] bodyBytes = split < 0 ? [] : answer[(split + 4)..];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) bodyBytes = Unchunk(bodyBytes);
        string body = Encoding.UTF8.GetString(bodyBytes);
        bool wellFormed = binding
            ? headers.Contains("Kivi-Error-Code:", StringComparison.OrdinalIgnoreCase) && !headers.StartsWith($"HTTP/1.1 {status} \r", StringComparison.Ordinal)
            : HasEnvelope(body);
        if (wellFormed || (request.AsSpan().StartsWith("HEAD "u8) && status < 500)) return;
        if (kestrel && status == 400 && body.Length == 0)
        {
            Interlocked.Increment(ref counts.KestrelRefusals);
            return;
        }
        Interlocked.Increment(ref counts.NoEnvelope);
        counts.Examples.Add($"no envelope ({status}): {Encoding.UTF8.GetString(request, 0, Math.Min(request.Length, 160))}\n    -> {response[..Math.Min(response.Length, 300)]}");
    }

    private static bool HasEnvelope(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("success", out var s) && s.ValueKind == JsonValueKind.False
                && doc.RootElement.GetProperty("errors")[0].GetProperty("message").GetString() is { Length: > 0 };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static byte[] Unchunk(byte[] chunked)
    {
        var result = new MemoryStream();
        int i = 0;
        while (i < chunked.Length)
        {
            int eol = chunked.AsSpan(i).IndexOf("\r\n"u8);
            if (eol < 0) break;
            int size = Convert.ToInt32(Encoding.ASCII.GetString(chunked, i, eol).Split(';')[0], 16);
            if (size == 0) break;
            int start = i + eol + 2;
            result.Write(chunked, start, Math.Min(size, chunked.Length - start));
            i = start + size + 2;
        }
        return result.ToArray();
    }
}
