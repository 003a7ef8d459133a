using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Kivi.Client;

namespace Kivi.Cli;

/// <summary><c>kivi key put|get|list|delete</c>, through the SDK (one round trip with metadata, expiration and version).</summary>
internal static class KeyCommands
{
    public static Command Build(Globals g)
    {
        var ns = new Argument<string>("namespace") { Description = "Namespace id or title" };
        var key = new Argument<string>("key") { Description = "Key name (up to 512 bytes of UTF-8)" };
        var value = new Argument<string?>("value") { Description = "The value; or use --path, or pipe it to standard input", Arity = ArgumentArity.ZeroOrOne };
        var path = new Option<string?>("--path") { Description = "Read the value from this file (- for standard input)" };
        var ttl = new Option<long?>("--ttl") { Description = "Expire after this many seconds (at least 60)" };
        var expiration = new Option<long?>("--expiration") { Description = "Expire at this time, in seconds since the Unix epoch" };
        var metadata = new Option<string?>("--metadata") { Description = "Metadata, as JSON (up to 1024 bytes)" };
        var ifVersion = new Option<long?>("--if-version") { Description = "Write only if the key's current version is this one" };
        var ifAbsent = new Option<bool>("--if-absent") { Description = "Write only if the key does not exist" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the value to this file instead of standard output" };
        var strong = new Option<bool>("--strong") { Description = "Read from the origin's store, not a cache" };
        var prefix = new Option<string?>("--prefix") { Description = "Only keys starting with this" };
        var limit = new Option<int?>("--limit") { Description = "Stop after this many keys (default: all, every page)" };

        var put = new Command("put", "Write a value from an argument, a file or standard input") { ns, key, value, path, ttl, expiration, metadata, ifVersion, ifAbsent };
        g.Action(put, async (r, ct) =>
        {
            var options = new KvPutOptions
            {
                ExpirationTtl = r.GetValue(ttl) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                Expiration = r.GetValue(expiration) is { } at ? DateTimeOffset.FromUnixTimeSeconds(at) : null,
                Metadata = ParseMetadata(r.GetValue(metadata)),
                IfVersion = r.GetValue(ifVersion),
                IfAbsent = r.GetValue(ifAbsent),
            };
            await using var binding = await BindingAsync(g, r, r.GetValue(ns)!, ct);
            string name = r.GetValue(key)!;
            long version;
            if (r.GetValue(value) is { } text)
            {
                if (r.GetValue(path) is not null) throw new CliException(ExitCodes.Usage, "Give the value as an argument or with --path, not both.");
                version = await binding.Namespace.PutAsync(name, text, options, ct);
            }
            else
            {
                string? file = r.GetValue(path);
                if (file is null && g.Console.InIsTerminal)
                    throw new CliException(ExitCodes.Usage, "No value: give it as an argument, with --path FILE, or on standard input.");
                await using var source = file is null or "-" ? g.Console.Stdin : OpenInput(g.Console, file);
                version = await binding.Namespace.PutAsync(name, source, options, ct);
            }
            var o = g.Output(r);
            if (o.Json) o.WriteJson(new JsonObject { ["key"] = name, ["version"] = version });
            else o.Note($"Wrote \"{name}\" (version {version}).");
            return ExitCodes.Ok;
        });

        var get = new Command("get", "Read a value to standard output or a file; --json adds metadata, expiration and version") { ns, key, output, strong };
        g.Action(get, async (r, ct) =>
        {
            await using var binding = await BindingAsync(g, r, r.GetValue(ns)!, ct);
            string name = r.GetValue(key)!;
            var entry = await binding.Namespace.GetWithMetadataAsync(name, r.GetValue(strong) ? KvReadOptions.StrongRead : null, ct)
                ?? throw new CliException(ExitCodes.NotFound, $"Key \"{name}\" not found in namespace {binding.NamespaceId}.");
            var o = g.Output(r);
            if (r.GetValue(output) is { } file)
            {
                await File.WriteAllBytesAsync(g.Console.FullPath(file), entry.Value.ToArray(), ct);
                if (o.Json) o.WriteJson(Describe(name, entry, withValue: false));
            }
            else if (o.Json) o.WriteJson(Describe(name, entry, withValue: true));
            else
            {
                await g.Console.Out.FlushAsync(ct);
                await g.Console.Stdout.WriteAsync(entry.Value, ct);
                if (g.Console.OutIsTerminal && (entry.Value.Length == 0 || entry.Value.Span[^1] != '\n')) await g.Console.Stdout.WriteAsync("\n"u8.ToArray(), ct);
                await g.Console.Stdout.FlushAsync(ct);
            }
            return ExitCodes.Ok;
        });

        var list = new Command("list", "List keys, walking every page") { ns, prefix, limit };
        g.Action(list, async (r, ct) =>
        {
            await using var binding = await BindingAsync(g, r, r.GetValue(ns)!, ct);
            int max = r.GetValue(limit) ?? int.MaxValue;
            var keys = new List<KvKey>();
            await foreach (var k in binding.Namespace.ListAllAsync(r.GetValue(prefix), cancellationToken: ct))
            {
                if (keys.Count >= max) break;
                keys.Add(k);
            }
            var o = g.Output(r);
            if (o.Json)
                o.WriteJson(new JsonArray(keys.Select(k =>
                {
                    var item = new JsonObject { ["name"] = k.Name };
                    if (k.Expiration is { } e) item["expiration"] = e;
                    if (k.MetadataJson is { } m) item["metadata"] = JsonNode.Parse(m);
                    return (JsonNode)item;
                }).ToArray()));
            else
                o.Table(["KEY", "EXPIRES", "METADATA"], keys.Select(k => new[]
                {
                    k.Name,
                    k.Expiration is { } e ? DateTimeOffset.FromUnixTimeSeconds(e).ToString("u", CultureInfo.InvariantCulture) : "",
                    k.MetadataJson ?? "",
                }));
            return ExitCodes.Ok;
        });

        var delete = new Command("delete", "Delete a key (deleting a missing key succeeds)") { ns, key };
        g.Action(delete, async (r, ct) =>
        {
            await using var binding = await BindingAsync(g, r, r.GetValue(ns)!, ct);
            long version = await binding.Namespace.DeleteAsync(r.GetValue(key)!, ct);
            var o = g.Output(r);
            if (o.Json) o.WriteJson(new JsonObject { ["key"] = r.GetValue(key), ["version"] = version });
            else o.Note($"Deleted \"{r.GetValue(key)}\".");
            return ExitCodes.Ok;
        });

        return new Command("key", "Write, read, list and delete single keys") { put, get, list, delete };
    }

    private static JsonObject Describe(string name, KvEntry entry, bool withValue)
    {
        var o = new JsonObject { ["key"] = name };
        if (withValue)
        {
            if (Utf8.IsValid(entry.Value.Span)) o["value"] = Encoding.UTF8.GetString(entry.Value.Span);
            else
            {
                o["value"] = Convert.ToBase64String(entry.Value.Span);
                o["base64"] = true;
            }
        }
        o["metadata"] = entry.MetadataJson is { } m ? JsonNode.Parse(m) : null;
        if (entry.Expiration is { } e) o["expiration"] = e;
        o["version"] = entry.Version;
        return o;
    }

    private static JsonElement? ParseMetadata(string? json)
    {
        if (json is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.BadInput, $"--metadata is not valid JSON: {e.Message}", "Quote it for the shell, e.g. --metadata '{\"owner\":\"ops\"}'.");
        }
    }

    public static FileStream OpenInput(CliConsole console, string path)
    {
        string full = console.FullPath(path);
        if (!File.Exists(full)) throw new CliException(ExitCodes.BadInput, $"The file {full} does not exist.");
        return File.OpenRead(full);
    }

    /// <summary>An SDK binding without a cache: a command reads once and must see the store, not a cache.</summary>
    private static async Task<Binding> BindingAsync(Globals g, ParseResult r, string idOrTitle, CancellationToken ct)
    {
        var api = g.Api(r);
        try
        {
            var ns = await api.ResolveNamespaceAsync(idOrTitle, ct);
            var client = new KiviClient(new KiviClientOptions { Url = api.Connection.Url, Token = api.Connection.Token, AccountId = await api.AccountIdAsync(ct) });
            return new Binding(api, client, client.GetNamespace(new KvNamespaceOptions { NamespaceId = ns.Id, Cache = false }), ns.Id);
        }
        catch
        {
            api.Dispose();
            throw;
        }
    }

    private sealed record Binding(KiviApi Api, KiviClient Client, IKvNamespace Namespace, string NamespaceId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            Api.Dispose();
        }
    }
}
