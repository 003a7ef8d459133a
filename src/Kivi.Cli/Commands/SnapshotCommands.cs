using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kivi.Protocol;

namespace Kivi.Cli;

/// <summary>
/// <c>kivi snapshot</c> and <c>kivi restore</c>: the whole store (accounts, namespaces with their ids, every
/// live entry) as one NDJSON file read in one consistent transaction while the server keeps serving, and
/// put back into a running server. Tokens are not included.
/// </summary>
internal static class SnapshotCommands
{
    public static Command Snapshot(Globals g)
    {
        var file = new Argument<string>("file") { Description = "File to write (replaced only once the snapshot is complete)" };
        var snapshot = new Command("snapshot", "Save the whole store to a file, online (needs the admin token)") { file };
        g.Action(snapshot, async (r, ct) =>
        {
            using var api = g.Api(r);
            var o = g.Output(r);
            string path = g.Console.FullPath(r.GetValue(file)!), partial = path + ".partial";
            using var request = new HttpRequestMessage(HttpMethod.Get, "kivi/snapshot");
            using var response = await api.SendRawAsync(request, ct, checkStatus: true);
            JsonNode? end = null;
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            {
                await o.ProgressAsync("snapshot", null, advance => TransferCommands.CopyLinesAsync(body, output, advance, ct));
                output.Flush(flushToDisk: true);
            }
            end = LastLine(partial)?["end"];
            if (end is null)
            {
                File.Delete(partial);
                throw new CliException(ExitCodes.Failed, "The snapshot ended early (no end line); nothing was saved.", "Try again.");
            }
            File.Move(partial, path, overwrite: true);
            var summary = new JsonObject { ["file"] = path, ["version"] = response.Headers.TryGetValues(KiviHeaders.Version, out var v) ? long.Parse(v.First(), System.Globalization.CultureInfo.InvariantCulture) : null };
            foreach (var (k, value) in end.AsObject()) summary[k] = value?.DeepClone();
            if (o.Json) o.WriteJson(summary);
            else o.Note($"Saved {end["keys"]} keys in {end["namespaces"]} namespaces of {end["accounts"]} accounts to {path}.");
            return ExitCodes.Ok;
        });
        return snapshot;
    }

    public static Command Restore(Globals g)
    {
        var file = new Argument<string>("file") { Description = "A file written by `kivi snapshot`" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not ask for confirmation" };
        var concurrency = BulkCommands.Concurrency();
        var restore = new Command("restore", """
            Make each namespace in a snapshot exactly as it was: created with its id if missing, retitled, its
            entries written and keys not in the snapshot deleted. Other namespaces are left alone. The file is
            checked whole before anything is changed. Needs the admin token.
            """)
        { file, force, concurrency };
        g.Action(restore, async (r, ct) =>
        {
            using var api = g.Api(r);
            var o = g.Output(r);
            string path = g.Console.FullPath(r.GetValue(file)!);
            if (!File.Exists(path)) throw new CliException(ExitCodes.BadInput, $"The file {path} does not exist.");
            var plan = await CheckAsync(path, g.Console, await api.LimitsAsync(ct), ct);
            if (!NamespaceCommands.Confirm(g.Console, r.GetValue(force), $"Restore {plan.Namespaces.Count} namespaces ({plan.Keys:N0} keys) from {Path.GetFileName(path)}, replacing their contents?"))
                return ExitCodes.Usage;

            foreach (var account in plan.Accounts)
                await api.SendJsonAsync(HttpMethod.Post, "accounts", new JsonObject { ["id"] = account.Id, ["name"] = account.Name }, ct);
            long written = 0, deleted = 0;
            await o.ProgressAsync($"restore {Path.GetFileName(path)}", plan.Keys, async advance =>
            {
                NamespacePlan? current = null;
                BulkWriter? writer = null;
                var keys = new HashSet<string>(StringComparer.Ordinal);
                await foreach (var (number, line) in Lines.ReadAsync(path, ct))
                {
                    if (plan.Namespaces.TryGetValue(number, out var next))
                    {
                        if (current is not null) deleted += await FinishAsync(api, current, writer!, keys, o, ct);
                        current = next;
                        await EnsureNamespaceAsync(api, current, ct);
                        writer = new BulkWriter(api, await api.LimitsAsync(ct), current.Id, r.GetValue(concurrency), (n, _) => { Interlocked.Add(ref written, n); advance(n); }, ct);
                        keys.Clear();
                    }
                    else if (plan.Entries.Contains(number))
                    {
                        keys.Add(JsonNode.Parse(line.Span)!["key"]!.GetValue<string>());
                        await writer!.AddAsync(line, number);
                    }
                }
                if (current is not null) deleted += await FinishAsync(api, current, writer!, keys, o, ct);
                return 0;
            });
            if (o.Json) o.WriteJson(new JsonObject { ["namespaces"] = plan.Namespaces.Count, ["written"] = written, ["deleted"] = deleted, ["skipped_expiring"] = plan.Expiring });
            else o.Note($"Restored {plan.Namespaces.Count} namespaces: {written:N0} keys written, {deleted:N0} keys not in the snapshot deleted.");
            return ExitCodes.Ok;
        });
        return restore;
    }

    private sealed record AccountPlan(string Id, string Name);
    private sealed record NamespacePlan(string Id, string Title, string AccountId, string? Jurisdiction);
    private sealed record Plan(List<AccountPlan> Accounts, Dictionary<long, NamespacePlan> Namespaces, HashSet<long> Entries, long Keys, long Expiring);

    /// <summary>Reads the whole snapshot before anything is changed: its structure, its end line's counts, every entry.</summary>
    private static async Task<Plan> CheckAsync(string path, CliConsole console, KvLimits limits, CancellationToken ct)
    {
        var problems = new Problems(console, Path.GetFileName(path), continueOnError: false);
        var validator = new ItemValidator(limits, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), skipExpiring: true);
        var accounts = new List<AccountPlan>();
        var namespaces = new Dictionary<long, NamespacePlan>();
        var entries = new HashSet<long>();
        long keys = 0, expiring = 0, seenKeys = 0;
        JsonNode? end = null;
        bool header = false;
        await foreach (var (number, line) in Lines.ReadAsync(path, ct))
        {
            if (Lines.IsBlank(line.Span)) continue;
            string where = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (end is not null)
            {
                problems.Report(where, null, "a line after the end line");
                continue;
            }
            if (!header)
            {
                header = true;
                if (Parse(line.Span)?["kivi_snapshot"]?.GetValue<int>() != 1)
                    throw new CliException(ExitCodes.BadInput, $"{path} is not a Kivi snapshot (its first line has no \"kivi_snapshot\": 1).");
                continue;
            }
            if (line.Span.StartsWith("{\"key\""u8))
            {
                seenKeys++;
                if (namespaces.Count == 0)
                {
                    problems.Report(where, null, "an entry before any namespace line");
                    continue;
                }
                var check = validator.Check(line);
                if (check.Ok)
                {
                    entries.Add(number);
                    keys++;
                }
                else if (check.Skip) expiring++;
                else problems.Report(where, check.Key, check.Error!);
                continue;
            }
            var node = Parse(line.Span);
            if (node?["account"] is JsonObject a && Text(a, "id") is { } accountId && Text(a, "name") is { } name) accounts.Add(new AccountPlan(accountId, name));
            else if (node?["namespace"] is JsonObject n && Text(n, "id") is { } id && KiviApi.IsId(id) && Text(n, "title") is { } title && Text(n, "account_id") is { } owner)
                namespaces[number] = new NamespacePlan(id, title, owner, Text(n, "jurisdiction"));
            else if (node?["end"] is JsonObject e) end = e;
            else problems.Report(where, null, "expected an account, namespace, entry or end line");
        }
        problems.ThrowIfRefused();
        if (end is null) throw new CliException(ExitCodes.BadInput, $"{path} is cut short: it has no end line. Nothing was changed.", "Take the snapshot again.");
        if (end["keys"]?.GetValue<long>() != seenKeys || end["namespaces"]?.GetValue<long>() != namespaces.Count || end["accounts"]?.GetValue<long>() != accounts.Count)
            throw new CliException(ExitCodes.BadInput, $"{path} does not match its end line's counts ({end.ToJsonString()}). Nothing was changed.");
        return new Plan(accounts, namespaces, entries, keys, expiring);
    }

    /// <summary>The file's last non-empty line, parsed (null when it is not JSON).</summary>
    private static JsonNode? LastLine(string path)
    {
        using var file = File.OpenRead(path);
        int tail = (int)Math.Min(file.Length, 64 * 1024); // the end line is short
        var buffer = new byte[tail];
        file.Seek(-tail, SeekOrigin.End);
        file.ReadExactly(buffer);
        var text = buffer.AsSpan().TrimEnd("\r\n"u8);
        int newline = text.LastIndexOf((byte)'\n');
        return Parse(text[(newline + 1)..]);
    }

    private static JsonNode? Parse(ReadOnlySpan<byte> line)
    {
        try { return JsonNode.Parse(line); }
        catch (JsonException) { return null; }
    }

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static async Task EnsureNamespaceAsync(KiviApi api, NamespacePlan ns, CancellationToken ct)
    {
        string path = $"accounts/{ns.AccountId}/storage/kv/namespaces";
        try
        {
            var live = KiviApi.ToNamespace(await api.SendJsonAsync(HttpMethod.Get, $"{path}/{ns.Id}", null, ct));
            if (live.Title != ns.Title) await api.SendJsonAsync(HttpMethod.Put, $"{path}/{ns.Id}", new JsonObject { ["title"] = ns.Title }, ct);
        }
        catch (KvException e) when (e.StatusCode == 404 && e.Code == (int)KvErrorCode.NamespaceNotFound)
        {
            await api.SendJsonAsync(HttpMethod.Post, path, new JsonObject { ["title"] = ns.Title, ["id"] = ns.Id, ["jurisdiction"] = ns.Jurisdiction }, ct);
        }
    }

    /// <summary>Waits for the namespace's writes, then deletes its live keys that the snapshot does not have.</summary>
    private static async Task<int> FinishAsync(KiviApi api, NamespacePlan ns, BulkWriter writer, HashSet<string> keep, Output output, CancellationToken ct)
    {
        await writer.CompleteAsync();
        await writer.DisposeAsync();
        var extra = new List<string>();
        string keysPath = $"accounts/{ns.AccountId}/storage/kv/namespaces/{ns.Id}/keys?limit=1000";
        for (string? cursor = null; ;)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, cursor is null ? keysPath : $"{keysPath}&cursor={Uri.EscapeDataString(cursor)}");
            using var response = await api.SendRawAsync(request, ct, checkStatus: true);
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            foreach (var k in page["result"]!.AsArray())
                if (k!["name"]!.GetValue<string>() is var name && !keep.Contains(name)) extra.Add(name);
            cursor = page["result_info"]?["cursor"]?.GetValue<string>();
            if (string.IsNullOrEmpty(cursor)) break;
        }
        if (extra.Count == 0) return 0;
        return await BulkCommands.DeleteKeysAsync(api, ns.Id, extra, new Output(output.Console, json: false, quiet: true), "", ct);
    }
}
