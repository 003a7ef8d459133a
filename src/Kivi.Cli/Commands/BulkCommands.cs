using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kivi.Protocol;

namespace Kivi.Cli;

/// <summary><c>kivi bulk put|get|delete FILE</c>: wrangler's bulk JSON files, split into requests within the API's limits.</summary>
internal static class BulkCommands
{

    public static Command Build(Globals g)
    {
        var ns = new Argument<string>("namespace") { Description = "Namespace id or title" };
        var file = new Argument<string>("file") { Description = "A JSON file in wrangler's format" };
        var continueOnError = new Option<bool>("--continue-on-error") { Description = "Write the valid entries and report each invalid one, instead of refusing the file" };
        var concurrency = Concurrency();
        var force = new Option<bool>("--force", "-f") { Description = "Do not ask for confirmation" };
        var withMetadata = new Option<bool>("--metadata") { Description = "Include each key's metadata and expiration" };

        var put = new Command("put", "Write the entries of a JSON array of {key, value, expiration?, expiration_ttl?, metadata?, base64?}") { ns, file, continueOnError, concurrency };
        g.Action(put, async (r, ct) =>
        {
            using var api = g.Api(r);
            var output = g.Output(r);
            string path = g.Console.FullPath(r.GetValue(file)!);
            byte[] bytes = await ReadFileAsync(path, ct);
            var problems = new Problems(g.Console, Path.GetFileName(path), r.GetValue(continueOnError));
            var validator = new ItemValidator(await api.LimitsAsync(ct), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), skipExpiring: false);
            var items = new List<(int Start, int Length)>();
            foreach (var (index, start, length) in ArrayItems(bytes, path))
            {
                var check = validator.Check(bytes.AsMemory(start, length));
                if (check.Error is { } error) problems.Report($"{LineOf(bytes, start)}: item {index}", check.Key, error);
                else items.Add((start, length));
            }
            problems.ThrowIfRefused();
            var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
            int written = await output.ProgressAsync($"bulk put {Path.GetFileName(path)}", items.Count, async advance =>
            {
                int total = 0;
                await using var writer = new BulkWriter(api, await api.LimitsAsync(ct), target.Id, r.GetValue(concurrency), (n, _) => { Interlocked.Add(ref total, n); advance(n); }, ct);
                for (int i = 0; i < items.Count; i++) await writer.AddAsync(bytes.AsMemory(items[i].Start, items[i].Length), i);
                await writer.CompleteAsync();
                return total;
            });
            return Summary(output, written, problems.Count, "written");
        });

        var get = new Command("get", "Read the keys of a JSON array of names (or {name} objects); prints a JSON object of key to value (null when missing)") { ns, file, withMetadata };
        g.Action(get, async (r, ct) =>
        {
            using var api = g.Api(r);
            string path = g.Console.FullPath(r.GetValue(file)!);
            var limits = await api.LimitsAsync(ct);
            var keys = ReadKeys(await ReadFileAsync(path, ct), path, g.Console, limits);
            var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
            string endpoint = $"{await api.NamespacesPathAsync(ct)}/{target.Id}/bulk/get";
            var result = new JsonObject();
            foreach (var chunk in keys.Chunk(limits.MaxBulkGetKeys))
            {
                var body = new JsonObject { ["keys"] = new JsonArray(chunk.Select(k => (JsonNode)k).ToArray()), ["withMetadata"] = r.GetValue(withMetadata) };
                var values = (await api.SendJsonAsync(HttpMethod.Post, endpoint, body, ct))!["values"]!.AsObject();
                foreach (var (k, v) in values.ToList())
                {
                    values.Remove(k);
                    result[k] = v;
                }
            }
            g.Output(r).WriteJson(result);
            return ExitCodes.Ok;
        });

        var delete = new Command("delete", "Delete the keys of a JSON array of names (or {name} / {key} objects)") { ns, file, force };
        g.Action(delete, async (r, ct) =>
        {
            using var api = g.Api(r);
            var output = g.Output(r);
            string path = g.Console.FullPath(r.GetValue(file)!);
            var limits = await api.LimitsAsync(ct);
            var keys = ReadKeys(await ReadFileAsync(path, ct), path, g.Console, limits);
            var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
            if (!NamespaceCommands.Confirm(g.Console, r.GetValue(force), $"Delete {keys.Count} keys from \"{target.Title}\"?")) return ExitCodes.Usage;
            int deleted = await DeleteKeysAsync(api, target.Id, keys, output, $"bulk delete {Path.GetFileName(path)}", ct);
            return Summary(output, deleted, 0, "deleted");
        });

        return new Command("bulk", "Write, read and delete many keys from wrangler-format JSON files") { put, get, delete };
    }

    public static Option<int> Concurrency() => new("--concurrency")
    {
        Description = "Requests in flight at once (1 to 16)",
        DefaultValueFactory = _ => 4,
        Validators = { v => { if (v.GetValueOrDefault<int>() is < 1 or > 16) v.AddError("--concurrency must be from 1 to 16."); } },
    };

    public static async Task<int> DeleteKeysAsync(KiviApi api, string namespaceId, IReadOnlyList<string> keys, Output output, string label, CancellationToken ct)
    {
        string endpoint = $"{await api.NamespacesPathAsync(ct)}/{namespaceId}/bulk";
        var limits = await api.LimitsAsync(ct);
        return await output.ProgressAsync(label, keys.Count, async advance =>
        {
            int done = 0;
            foreach (var chunk in keys.Chunk(limits.MaxBulkDeleteKeys))
            {
                await api.SendJsonAsync(HttpMethod.Delete, endpoint, new JsonArray(chunk.Select(k => (JsonNode)k).ToArray()), ct);
                done += chunk.Length;
                advance(chunk.Length);
            }
            return done;
        });
    }

    public static int Summary(Output output, long done, int failed, string verb)
    {
        if (output.Json) output.WriteJson(new JsonObject { [verb] = done, ["failed"] = failed });
        else output.Note(failed == 0 ? $"{done:N0} keys {verb}." : $"{done:N0} keys {verb}; {failed:N0} entries failed (reported above).");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Partial;
    }

    public static async Task<byte[]> ReadFileAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) throw new CliException(ExitCodes.BadInput, $"The file {path} does not exist.");
        return await File.ReadAllBytesAsync(path, ct);
    }

    /// <summary>The elements of a top-level JSON array: index, start and length in the file.</summary>
    private static List<(int Index, int Start, int Length)> ArrayItems(byte[] bytes, string path)
    {
        var items = new List<(int, int, int)>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new CliException(ExitCodes.BadInput, $"{Path.GetFileName(path)}: expected a JSON array of entries.");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                items.Add((items.Count, start, (int)reader.BytesConsumed - start));
            }
            if (reader.Read()) throw new JsonException("unexpected data after the array");
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.BadInput, $"{Path.GetFileName(path)}:{LineOf(bytes, (int)reader.BytesConsumed)}: invalid JSON after item {items.Count - 1}: {e.Message} Nothing was written.");
        }
        return items;
    }

    /// <summary>Key names from a JSON array of strings, {name} or {key} objects; every one checked before any request.</summary>
    private static List<string> ReadKeys(byte[] bytes, string path, CliConsole console, KvLimits limits)
    {
        var problems = new Problems(console, Path.GetFileName(path), continueOnError: false);
        var keys = new List<string>();
        foreach (var (index, start, length) in ArrayItems(bytes, path))
        {
            string where = $"{LineOf(bytes, start)}: item {index}";
            string? key = null;
            try
            {
                var node = JsonNode.Parse(bytes.AsMemory(start, length).Span);
                key = node switch
                {
                    JsonValue v when v.TryGetValue<string>(out var s) => s,
                    JsonObject o when o["name"] is JsonValue n && n.TryGetValue<string>(out var s) => s,
                    JsonObject o when o["key"] is JsonValue n && n.TryGetValue<string>(out var s) => s,
                    _ => null,
                };
                if (key is null) problems.Report(where, null, "expected a key name, or an object with \"name\"");
                else
                {
                    KeyName.ToUtf8(key, limits);
                    keys.Add(key);
                }
            }
            catch (KvException e)
            {
                problems.Report(where, key, e.Message);
            }
        }
        problems.ThrowIfRefused();
        return keys;
    }

    public static long LineOf(byte[] bytes, int offset) => bytes.AsSpan(0, Math.Min(offset, bytes.Length)).Count((byte)'\n') + 1;
}
