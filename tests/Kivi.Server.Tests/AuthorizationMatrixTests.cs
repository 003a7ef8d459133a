using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kivi.Server.Tests;

/// <summary>
/// Every endpoint against every kind of token, on a namespace the token reaches, one of its account it
/// does not, and one of another account: nothing outside scope is readable, writable or listable, and
/// every refusal is Cloudflare's 403.
/// </summary>
public sealed class AuthorizationMatrixTests(KiviServerFixture server) : IClassFixture<KiviServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Token(string Name, string Account, string Permission, string[]? Namespaces, string Value)
    {
        public bool IsRoot => Permission == "root";
    }

    private sealed record Ns(string Account, string Id, string Label);

    private sealed record World(string AccountA, string AccountB, Ns A1, Ns A2, Ns B1, List<Token> Tokens);

    // The specification, written independently of the server's Caller class.
    private static bool MayRead(Token t, Ns ns) => t.IsRoot || (t.Account == ns.Account && (t.Namespaces is null || t.Namespaces.Contains(ns.Id)));
    private static bool MayWrite(Token t, Ns ns) => MayRead(t, ns) && (t.IsRoot || t.Permission is "write" or "admin");
    private static bool IsAdminOf(Token t, string account) => t.IsRoot || (t.Account == account && t.Permission == "admin");
    /// <summary>Whole-account management (create namespaces, unscoped tokens): an admin that lists no namespaces.</summary>
    private static bool MayManage(Token t, string account) => IsAdminOf(t, account) && t.Namespaces is null;
    private static bool MaySeeAccount(Token t, string account) => t.IsRoot || t.Account == account;

    private async Task<JsonElement> Root(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : KiviServerFixture.Json(body) };
        using var response = await server.Client.SendAsync(request, Ct);
        var api = await Api.ReadAsync(response);
        Assert.True(api.Success, $"{method} {path}: {api.Raw}");
        return api.Result;
    }

    private async Task<World> BuildWorldAsync()
    {
        string a = KiviServerFixture.AccountId;
        string b = (await Root(HttpMethod.Post, "/client/v4/accounts", new { name = "other-" + Guid.NewGuid().ToString("N")[..6] })).GetProperty("id").GetString()!;
        async Task<Ns> Namespace(string account, string label)
        {
            string id = (await Root(HttpMethod.Post, $"/client/v4/accounts/{account}/storage/kv/namespaces", new { title = label + "-" + Guid.NewGuid().ToString("N")[..8] })).GetProperty("id").GetString()!;
            var ns = new Ns(account, id, label);
            using var put = await server.Client.PutAsync(Values(ns, "k"), new StringContent("original"), Ct);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            return ns;
        }
        var a1 = await Namespace(a, "A1");
        var a2 = await Namespace(a, "A2");
        var b1 = await Namespace(b, "B1");
        async Task<Token> Issue(string name, string account, string permission, string[]? namespaces)
        {
            var result = await Root(HttpMethod.Post, $"/client/v4/accounts/{account}/tokens", new { name, permission, namespaces });
            Assert.False(string.IsNullOrEmpty(result.GetProperty("value").GetString()));
            return new Token(name, account, permission, namespaces, result.GetProperty("value").GetString()!);
        }
        var tokens = new List<Token>
        {
            new("root", "", "root", null, KiviServerFixture.Token),
            await Issue("admin-A", a, "admin", null),
            await Issue("read-A", a, "read", null),
            await Issue("write-A", a, "write", null),
            await Issue("read-A1", a, "read", [a1.Id]),
            await Issue("write-A1", a, "write", [a1.Id]),
            await Issue("admin-A1", a, "admin", [a1.Id]),
            await Issue("replication-A", a, "replication", null),
            await Issue("admin-B", b, "admin", null),
            await Issue("write-B1", b, "write", [b1.Id]),
        };
        return new World(a, b, a1, a2, b1, tokens);
    }

    private static string NsPath(Ns ns) => $"/client/v4/accounts/{ns.Account}/storage/kv/namespaces/{ns.Id}";
    private static string Values(Ns ns, string key) => $"{NsPath(ns)}/values/{key}";

    private sealed record Case(string Name, bool Writes, Func<Ns, HttpRequestMessage> Request);

    private static HttpRequestMessage Req(HttpMethod method, string path, HttpContent? content = null) => new(method, path) { Content = content };

    private static readonly Case[] DataCases =
    [
        new("GET value", false, ns => Req(HttpMethod.Get, Values(ns, "k"))),
        new("GET metadata", false, ns => Req(HttpMethod.Get, $"{NsPath(ns)}/metadata/k")),
        new("GET keys", false, ns => Req(HttpMethod.Get, $"{NsPath(ns)}/keys")),
        new("GET namespace", false, ns => Req(HttpMethod.Get, NsPath(ns))),
        new("POST bulk/get", false, ns => Req(HttpMethod.Post, $"{NsPath(ns)}/bulk/get", KiviServerFixture.Json(new { keys = new[] { "k" } }))),
        new("PUT value", true, ns => Req(HttpMethod.Put, Values(ns, "k"), new StringContent("overwritten"))),
        new("DELETE value", true, ns => Req(HttpMethod.Delete, Values(ns, "k"))),
        new("PUT bulk", true, ns => Req(HttpMethod.Put, $"{NsPath(ns)}/bulk", KiviServerFixture.Json(new[] { new { key = "k", value = "overwritten" } }))),
        new("DELETE bulk", true, ns => Req(HttpMethod.Delete, $"{NsPath(ns)}/bulk", KiviServerFixture.Json(new[] { "k" }))),
        new("POST bulk/delete", true, ns => Req(HttpMethod.Post, $"{NsPath(ns)}/bulk/delete", KiviServerFixture.Json(new[] { "k" }))),
    ];

    private async Task<string> OriginalValueAsync(Ns ns)
    {
        using var get = await server.Client.GetAsync(Values(ns, "k"), Ct);
        return get.IsSuccessStatusCode ? await get.Content.ReadAsStringAsync(Ct) : "(missing)";
    }

    private async Task RestoreAsync(Ns ns)
    {
        using var put = await server.Client.PutAsync(Values(ns, "k"), new StringContent("original"), Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task Every_data_endpoint_refuses_out_of_scope_namespaces_and_changes_nothing()
    {
        var world = await BuildWorldAsync();
        var failures = new List<string>();
        foreach (var token in world.Tokens)
        {
            using var client = server.NewClient(token.Value);
            foreach (var ns in new[] { world.A1, world.A2, world.B1 })
            foreach (var c in DataCases)
            {
                bool allowed = c.Writes ? MayWrite(token, ns) : MayRead(token, ns);
                using var request = c.Request(ns);
                using var response = await client.SendAsync(request, Ct);
                string body = await response.Content.ReadAsStringAsync(Ct);
                if (allowed && (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || !response.IsSuccessStatusCode))
                    failures.Add($"{token.Name} {c.Name} {ns.Label}: expected success, got {(int)response.StatusCode} {body}");
                if (!allowed)
                {
                    if (response.StatusCode != HttpStatusCode.Forbidden || !body.Contains("\"code\":10000", StringComparison.Ordinal) || !body.Contains("\"message\":\"Authentication error\"", StringComparison.Ordinal))
                        failures.Add($"{token.Name} {c.Name} {ns.Label}: expected Cloudflare's 403, got {(int)response.StatusCode} {body}");
                    if (c.Writes && await OriginalValueAsync(ns) != "original")
                        failures.Add($"{token.Name} {c.Name} {ns.Label}: a refused write changed the data");
                }
                if (c.Writes && allowed) await RestoreAsync(ns);
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task The_binding_protocol_applies_the_same_scopes()
    {
        var world = await BuildWorldAsync();
        var failures = new List<string>();
        (string Name, bool Writes, HttpMethod Method, string Path, Func<HttpContent?> Body)[] cases =
        [
            ("get", false, HttpMethod.Get, "/k?urlencoded=true", () => null),
            ("list", false, HttpMethod.Get, "/?key_count_limit=10", () => null),
            ("bulk get", false, HttpMethod.Post, "/bulk/get", () => KiviServerFixture.Json(new { keys = new[] { "k" } })),
            ("put", true, HttpMethod.Put, "/k?urlencoded=true", () => new StringContent("overwritten")),
            ("delete", true, HttpMethod.Delete, "/k?urlencoded=true", () => null),
        ];
        foreach (var token in world.Tokens)
        foreach (var ns in new[] { world.A1, world.A2, world.B1 })
        foreach (var c in cases)
        {
            bool allowed = c.Writes ? MayWrite(token, ns) : MayRead(token, ns);
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            using var request = new HttpRequestMessage(c.Method, c.Path) { Content = c.Body() };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
            request.Headers.Add("X-Kivi-Namespace", ns.Id);
            using var response = await client.SendAsync(request, Ct);
            if (allowed && !response.IsSuccessStatusCode)
                failures.Add($"{token.Name} {c.Name} {ns.Label}: expected success, got {(int)response.StatusCode} {response.ReasonPhrase}");
            if (!allowed && (response.StatusCode != HttpStatusCode.Forbidden || response.ReasonPhrase != "Authentication error"))
                failures.Add($"{token.Name} {c.Name} {ns.Label}: expected 403 Authentication error, got {(int)response.StatusCode} {response.ReasonPhrase}");
            if (!allowed && c.Writes && await OriginalValueAsync(ns) != "original")
                failures.Add($"{token.Name} {c.Name} {ns.Label}: a refused write changed the data");
            if (allowed && c.Writes) await RestoreAsync(ns);
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // A binding whose namespace header names nothing fails loudly; a 404 would read as a missing key.
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/k?urlencoded=true");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KiviServerFixture.Token);
        wrong.Headers.Add("X-Kivi-Namespace", "00000000000000000000000000000000");
        using var misconfigured = await server.Client.SendAsync(wrong, Ct);
        Assert.Equal((HttpStatusCode.BadRequest, "X-Kivi-Namespace names no namespace"), (misconfigured.StatusCode, misconfigured.ReasonPhrase));
    }

    [Fact]
    public async Task Namespace_management_token_management_and_listings_follow_the_scopes()
    {
        var world = await BuildWorldAsync();
        var failures = new List<string>();
        foreach (var token in world.Tokens)
        {
            using var client = server.NewClient(token.Value);
            foreach (var account in new[] { world.AccountA, world.AccountB })
            {
                string label = account == world.AccountA ? "A" : "B";
                string namespaces = $"/client/v4/accounts/{account}/storage/kv/namespaces";
                async Task Check(string what, bool allowed, HttpRequestMessage request)
                {
                    using (request)
                    using (var response = await client.SendAsync(request, Ct))
                    {
                        string body = await response.Content.ReadAsStringAsync(Ct);
                        if (allowed != response.IsSuccessStatusCode || (!allowed && response.StatusCode != HttpStatusCode.Forbidden))
                            failures.Add($"{token.Name} {what} {label}: allowed={allowed}, got {(int)response.StatusCode} {body}");
                    }
                }
                bool manage = MayManage(token, account);
                await Check("create namespace", manage, Req(HttpMethod.Post, namespaces, KiviServerFixture.Json(new { title = $"by-{token.Name}-{Guid.NewGuid():N}" })));
                var victim = (await Root(HttpMethod.Post, namespaces, new { title = "victim-" + Guid.NewGuid().ToString("N") })).GetProperty("id").GetString()!;
                await Check("rename namespace", manage, Req(HttpMethod.Put, $"{namespaces}/{victim}", KiviServerFixture.Json(new { title = "renamed-" + Guid.NewGuid().ToString("N") })));
                await Check("delete namespace", manage, Req(HttpMethod.Delete, $"{namespaces}/{victim}"));
                using (var still = await server.Client.GetAsync($"{namespaces}/{victim}", Ct))
                    if (still.IsSuccessStatusCode == manage) failures.Add($"{token.Name} delete namespace {label}: the namespace {(manage ? "survived" : "was deleted")}");
                await Check("list tokens", IsAdminOf(token, account), Req(HttpMethod.Get, $"/client/v4/accounts/{account}/tokens"));
                await Check("create token", manage, Req(HttpMethod.Post, $"/client/v4/accounts/{account}/tokens", KiviServerFixture.Json(new { name = "t", permission = "read" })));
                await Check("list namespaces", MaySeeAccount(token, account), Req(HttpMethod.Get, $"{namespaces}?per_page=1000"));
            }
            using (var account = await client.PostAsync("/client/v4/accounts", KiviServerFixture.Json(new { name = "by-" + token.Name }), Ct))
                if (account.IsSuccessStatusCode != token.IsRoot || (!token.IsRoot && account.StatusCode != HttpStatusCode.Forbidden))
                    failures.Add($"{token.Name} create account: got {(int)account.StatusCode}");
            await Check2(client, token, world, failures);
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>What a token lists: only the accounts and namespaces it reaches.</summary>
    private async Task Check2(HttpClient client, Token token, World world, List<string> failures)
    {
        using var accounts = await client.GetAsync("/client/v4/accounts?per_page=1000", Ct);
        var ids = (await Api.ReadAsync(accounts)).Result.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        if (!token.IsRoot && !ids.SequenceEqual([token.Account])) failures.Add($"{token.Name} lists accounts {string.Join(',', ids)}");
        if (token.Account != world.AccountA && !token.IsRoot) return;
        using var listed = await client.GetAsync($"/client/v4/accounts/{world.AccountA}/storage/kv/namespaces?per_page=1000", Ct);
        var seen = (await Api.ReadAsync(listed)).Result.EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToHashSet();
        foreach (var ns in new[] { world.A1, world.A2 })
            if (seen.Contains(ns.Id) != MayRead(token, ns)) failures.Add($"{token.Name} namespace list shows {ns.Label}: {seen.Contains(ns.Id)}");
    }

    [Fact]
    public async Task A_namespace_scoped_admin_manages_only_its_namespaces_and_tokens_no_broader_than_itself()
    {
        string a = KiviServerFixture.AccountId;
        string namespaces = $"/client/v4/accounts/{a}/storage/kv/namespaces", tokens = $"/client/v4/accounts/{a}/tokens";
        async Task<string> NewNamespace(string label) =>
            (await Root(HttpMethod.Post, namespaces, new { title = label + "-" + Guid.NewGuid().ToString("N") })).GetProperty("id").GetString()!;
        async Task<(string Id, string Value)> NewToken(string name, string permission, string[]? scope)
        {
            var t = await Root(HttpMethod.Post, tokens, new { name, permission, namespaces = scope });
            return (t.GetProperty("id").GetString()!, t.GetProperty("value").GetString()!);
        }
        string mine = await NewNamespace("mine"), other = await NewNamespace("other");
        var scoped = await NewToken("scoped-admin", "admin", [mine]);
        var broad = await NewToken("broad-admin", "admin", null);
        var wider = await NewToken("wider-reader", "read", [mine, other]);
        using var client = server.NewClient(scoped.Value);
        async Task<HttpStatusCode> Status(HttpMethod method, string path, object? body = null)
        {
            using var request = Req(method, path, body is null ? null : KiviServerFixture.Json(body));
            using var response = await client.SendAsync(request, Ct);
            return response.StatusCode;
        }

        // Namespaces: only those it lists; none created, since a new one could never be in its list.
        Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Put, $"{namespaces}/{other}", new { title = "taken-" + Guid.NewGuid().ToString("N") }));
        Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Delete, $"{namespaces}/{other}"));
        Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Post, namespaces, new { title = "new-" + Guid.NewGuid().ToString("N") }));
        Assert.StartsWith("other-", (await Root(HttpMethod.Get, $"{namespaces}/{other}")).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Put, $"{namespaces}/{mine}", new { title = "mine-renamed-" + Guid.NewGuid().ToString("N") }));

        // Tokens: it sees, rolls and revokes only tokens no broader than itself, and issues none broader.
        using (var listed = await client.GetAsync(tokens, Ct))
        {
            var ids = (await Api.ReadAsync(listed)).Result.EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToHashSet();
            Assert.Contains(scoped.Id, ids);
            Assert.DoesNotContain(broad.Id, ids);
            Assert.DoesNotContain(wider.Id, ids);
        }
        foreach (var target in new[] { broad.Id, wider.Id })
        {
            Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Get, $"{tokens}/{target}"));
            Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Put, $"{tokens}/{target}/value"));
            Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Delete, $"{tokens}/{target}"));
        }
        using (var stillBroad = server.NewClient(broad.Value))
            Assert.Equal(HttpStatusCode.OK, (await stillBroad.GetAsync($"{namespaces}/{other}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Post, tokens, new { name = "escalate", permission = "admin" }));
        Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Post, tokens, new { name = "escalate", permission = "read", namespaces = new[] { other } }));
        Assert.Equal(HttpStatusCode.Forbidden, await Status(HttpMethod.Post, tokens, new { name = "escalate", permission = "read", namespaces = new[] { mine, other } }));
        Assert.Equal(3, (await Root(HttpMethod.Get, tokens)).EnumerateArray().Count(t => t.GetProperty("name").GetString() is "scoped-admin" or "broad-admin" or "wider-reader"));

        using var issued = await client.PostAsync(tokens, KiviServerFixture.Json(new { name = "narrow", permission = "read", namespaces = new[] { mine } }), Ct);
        var narrow = (await Api.ReadAsync(issued)).Result;
        using (var reader = server.NewClient(narrow.GetProperty("value").GetString()!))
        {
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"{namespaces}/{mine}/keys", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync($"{namespaces}/{other}/keys", Ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Put, $"{tokens}/{narrow.GetProperty("id").GetString()}/value"));
        Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Delete, $"{tokens}/{narrow.GetProperty("id").GetString()}"));
        Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Delete, $"{namespaces}/{mine}"));
    }

    [Fact]
    public async Task Cloudflare_global_key_headers_carry_a_kivi_token_with_the_same_scopes()
    {
        string a = KiviServerFixture.AccountId, namespaces = $"/client/v4/accounts/{a}/storage/kv/namespaces";
        string mine = (await Root(HttpMethod.Post, namespaces, new { title = "gk-" + Guid.NewGuid().ToString("N") })).GetProperty("id").GetString()!;
        string other = (await Root(HttpMethod.Post, namespaces, new { title = "gk-" + Guid.NewGuid().ToString("N") })).GetProperty("id").GetString()!;
        string token = (await Root(HttpMethod.Post, $"/client/v4/accounts/{a}/tokens", new { name = "global-key", permission = "read", namespaces = new[] { mine } })).GetProperty("value").GetString()!;
        async Task<HttpStatusCode> Send(HttpMethod method, string path, params (string Name, string Value)[] headers)
        {
            using var client = server.NewClient(null);
            using var request = new HttpRequestMessage(method, path);
            if (method == HttpMethod.Put) request.Content = new StringContent("x");
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await client.SendAsync(request, Ct);
            return response.StatusCode;
        }
        (string, string) email = ("X-Auth-Email", "someone@example.com"), key = ("X-Auth-Key", token);
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, $"{namespaces}/{mine}/keys", email, key));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Get, $"{namespaces}/{other}/keys", email, key));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Put, $"{namespaces}/{mine}/values/k", email, key));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, $"/", ("X-Kivi-Namespace", mine), email, key));
        Assert.Equal(HttpStatusCode.Forbidden, await Send(HttpMethod.Get, $"{namespaces}/{mine}/keys", email, ("X-Auth-Key", "not-a-token")));
        // Ambiguous carriers are no credentials at all.
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, $"{namespaces}/{mine}/keys", key));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, $"{namespaces}/{mine}/keys", email, key, ("Authorization", "Bearer " + token)));
    }

    [Fact]
    public async Task Tokens_are_shown_once_and_rolled_or_revoked_tokens_stop_working_at_once()
    {
        string a = KiviServerFixture.AccountId;
        string ns = (await Root(HttpMethod.Post, $"/client/v4/accounts/{a}/storage/kv/namespaces", new { title = "roll-" + Guid.NewGuid().ToString("N") })).GetProperty("id").GetString()!;
        var created = await Root(HttpMethod.Post, $"/client/v4/accounts/{a}/tokens", new { name = "reader", permission = "read", namespaces = new[] { ns } });
        string id = created.GetProperty("id").GetString()!, first = created.GetProperty("value").GetString()!;
        var listed = await Root(HttpMethod.Get, $"/client/v4/accounts/{a}/tokens");
        var mine = listed.EnumerateArray().Single(t => t.GetProperty("id").GetString() == id);
        Assert.False(mine.TryGetProperty("value", out _));
        Assert.Equal("read", mine.GetProperty("permission").GetString());
        Assert.DoesNotContain(first, listed.GetRawText(), StringComparison.Ordinal);

        string keys = $"/client/v4/accounts/{a}/storage/kv/namespaces/{ns}/keys";
        using (var reader = server.NewClient(first)) Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(keys, Ct)).StatusCode);
        string second = (await Root(HttpMethod.Put, $"/client/v4/accounts/{a}/tokens/{id}/value")).GetString()!;
        Assert.NotEqual(first, second);
        using (var old = server.NewClient(first)) Assert.Equal(HttpStatusCode.Forbidden, (await old.GetAsync(keys, Ct)).StatusCode);
        using (var rolled = server.NewClient(second)) Assert.Equal(HttpStatusCode.OK, (await rolled.GetAsync(keys, Ct)).StatusCode);

        await Root(HttpMethod.Delete, $"/client/v4/accounts/{a}/tokens/{id}");
        using (var revoked = server.NewClient(second)) Assert.Equal(HttpStatusCode.Forbidden, (await revoked.GetAsync(keys, Ct)).StatusCode);
        using var again = await server.Client.DeleteAsync($"/client/v4/accounts/{a}/tokens/{id}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);

        using var bad = await server.Client.PostAsync($"/client/v4/accounts/{a}/tokens", KiviServerFixture.Json(new { name = "x", permission = "superuser" }), Ct);
        Assert.Contains("permission must be", (await Api.ReadAsync(bad)).ErrorMessage, StringComparison.Ordinal);
        using var foreign = await server.Client.PostAsync($"/client/v4/accounts/{a}/tokens", KiviServerFixture.Json(new { name = "x", permission = "read", namespaces = new[] { "ffffffffffffffffffffffffffffffff" } }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
    }

    [Fact]
    public async Task Tokens_survive_a_restart_and_are_stored_only_as_hashes()
    {
        string data = Directory.CreateTempSubdirectory("kivi-tokens-").FullName;
        try
        {
            string value;
            const string account = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
            await using (var first = await ServerProcess.StartAsync(data, "--admin-token", "root", "--account-id", account))
            {
                using var root = new HttpClient { BaseAddress = first.BaseAddress };
                root.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "root");
                using var response = await root.PostAsync($"/client/v4/accounts/{account}/tokens", KiviServerFixture.Json(new { name = "keeper", permission = "admin" }), Ct);
                value = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").GetProperty("value").GetString()!;
            }
            Assert.DoesNotContain(Encoding.UTF8.GetBytes(value), Directory.GetFiles(data).Select(File.ReadAllBytes), new ContainsBytes());
            await using var second = await ServerProcess.StartAsync(data, "--admin-token", "root", "--account-id", account);
            using var client = new HttpClient { BaseAddress = second.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", value);
            using var list = await client.GetAsync($"/client/v4/accounts/{account}/storage/kv/namespaces", Ct);
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Equality meaning "the haystack contains the needle", for Assert.DoesNotContain over files.</summary>
    private sealed class ContainsBytes : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? needle, byte[]? haystack) => needle is not null && haystack is not null && haystack.AsSpan().IndexOf(needle) >= 0;
        public int GetHashCode(byte[] obj) => 0;
    }
}
