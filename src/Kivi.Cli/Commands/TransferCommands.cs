using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kivi.Protocol;

namespace Kivi.Cli;

/// <summary>
/// <c>kivi export</c> and <c>kivi import</c>: a namespace as NDJSON, one bulk-write item per line
/// (<c>{key, value, base64?, expiration?, metadata?}</c>; values that are not UTF-8 in base64). Both stream,
/// show progress and resume where they stopped.
/// </summary>
internal static class TransferCommands
{
    public static Command Export(Globals g)
    {
        var ns = new Argument<string>("namespace") { Description = "Namespace id or title" };
        var output = new Option<string?>("--output", "-o") { Description = "File to write (default: standard output)" };
        var resume = new Option<bool>("--resume") { Description = "Continue an export to --output that stopped: keep its complete lines, fetch the keys after the last one" };
        var export = new Command("export", "Write every key of a namespace, with value, metadata and expiration, as NDJSON (from one consistent read)") { ns, output, resume };
        g.Action(export, async (r, ct) =>
        {
            using var api = g.Api(r);
            var o = g.Output(r);
            var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
            string? file = r.GetValue(output) is { } f && f != "-" ? g.Console.FullPath(f) : null;
            if (r.GetValue(resume) && file is null) throw new CliException(ExitCodes.Usage, "--resume needs --output FILE: the export to continue.");
            string? after = null;
            long kept = 0;
            FileStream? fileStream = null;
            if (file is not null)
            {
                fileStream = new FileStream(file, r.GetValue(resume) ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
                if (r.GetValue(resume)) (after, kept) = TruncateToLastLine(fileStream, file);
                fileStream.Seek(0, SeekOrigin.End);
            }
            await using (fileStream)
            {
                var destination = (Stream?)fileStream ?? g.Console.Stdout;
                string query = after is null ? "" : $"?after={Uri.EscapeDataString(after)}";
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{await api.NamespacesPathAsync(ct)}/{target.Id}/export{query}");
                using var response = await api.SendRawAsync(request, ct, checkStatus: true);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                long lines = await o.ProgressAsync($"export {target.Title}", null, advance => CopyLinesAsync(body, destination, advance, ct));
                await destination.FlushAsync(ct);
                fileStream?.Flush(flushToDisk: true);
                if (file is not null) o.Note($"Exported {lines + kept:N0} keys of \"{target.Title}\" to {file}{(kept > 0 ? $" ({kept:N0} kept from before)" : "")}.");
            }
            return ExitCodes.Ok;
        });
        return export;
    }

    /// <summary>Copies an NDJSON stream as it arrives; returns the lines copied, reporting each block's.</summary>
    public static async Task<long> CopyLinesAsync(Stream from, Stream to, Action<double> advance, CancellationToken ct)
    {
        long count = 0;
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read), ct);
            int lines = buffer.AsSpan(0, read).Count((byte)'\n');
            count += lines;
            advance(lines);
        }
        return count;
    }

    /// <summary>Cuts a partial last line off an export file; returns the last complete line's key and the line count.</summary>
    private static (string? LastKey, long Lines) TruncateToLastLine(FileStream file, string path)
    {
        long length = file.Length, end = length;
        var one = new byte[1];
        while (end > 0)
        {
            file.Seek(end - 1, SeekOrigin.Begin);
            file.ReadExactly(one);
            if (one[0] == '\n') break;
            end--;
        }
        file.SetLength(end);
        if (end == 0) return (null, 0);
        file.Seek(0, SeekOrigin.Begin);
        long lines = 0;
        string? last = null;
        using (var reader = new StreamReader(file, leaveOpen: true))
            for (string? line; (line = reader.ReadLine()) is not null;)
                if (line.Length > 0)
                {
                    lines++;
                    last = line;
                }
        try
        {
            return (JsonNode.Parse(last!)!["key"]!.GetValue<string>(), lines);
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException)
        {
            throw new CliException(ExitCodes.BadInput, $"{path} does not end with an exported entry, so the export cannot resume from it.", "Export again without --resume.");
        }
    }

    public static Command Import(Globals g)
    {
        var ns = new Argument<string>("namespace") { Description = "Namespace id or title" };
        var file = new Argument<string>("file") { Description = "NDJSON file from `kivi export` (- for standard input)" };
        var resume = new Option<bool>("--resume") { Description = "Skip the lines an earlier, interrupted import of this file already wrote" };
        var continueOnError = new Option<bool>("--continue-on-error") { Description = "Write the valid lines and report each invalid one, instead of refusing the file" };
        var concurrency = BulkCommands.Concurrency();
        var import = new Command("import", "Write the entries of an NDJSON export into a namespace: checked whole first, then streamed in bulk requests") { ns, file, resume, continueOnError, concurrency };
        g.Action(import, async (r, ct) =>
        {
            using var api = g.Api(r);
            var o = g.Output(r);
            string? spooled = null;
            string path = r.GetValue(file)!;
            try
            {
                if (path == "-")
                {
                    // Two passes (check, then write) need the input twice.
                    spooled = Path.Combine(Path.GetTempPath(), $"kivi-import-{Guid.NewGuid():N}.ndjson");
                    await using (var spool = File.Create(spooled)) await g.Console.Stdin.CopyToAsync(spool, ct);
                    path = spooled;
                }
                else path = g.Console.FullPath(path);
                if (!File.Exists(path)) throw new CliException(ExitCodes.BadInput, $"The file {path} does not exist.");
                var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
                var progress = new ImportProgress(path + ".kivi-import", target.Id, new FileInfo(path));
                long resumeAfter = r.GetValue(resume) && spooled is null ? progress.Load() : 0;
                if (!r.GetValue(resume) && File.Exists(progress.Path))
                    o.Note($"An earlier import of this file stopped; starting from the beginning (pass --resume to continue after line {progress.Load():N0}).");

                // Pass 1: every line checked before anything is written.
                var problems = new Problems(g.Console, Path.GetFileName(r.GetValue(file)!), r.GetValue(continueOnError));
                var validator = new ItemValidator(await api.LimitsAsync(ct), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), skipExpiring: true);
                var (valid, expiring, skip, found) = await FileChecker.CheckAsync(path, validator, resumeAfter, ct);
                foreach (var (number, key, error) in found) problems.Report($"{number}", key, error);
                problems.ThrowIfRefused();
                if (expiring > 0) o.Note($"Skipping {expiring:N0} entries that expire within {ItemValidator.ExpiringMarginSeconds} seconds.");

                // Pass 2: the lines as they are, in bulk requests.
                long written = await o.ProgressAsync($"import {target.Title}", valid, async advance =>
                {
                    long total = 0;
                    await using var writer = new BulkWriter(api, await api.LimitsAsync(ct), target.Id, r.GetValue(concurrency), (n, through) =>
                    {
                        total += n;
                        advance(n);
                        progress.Save(through);
                    }, ct);
                    await foreach (var (number, line) in Lines.ReadAsync(path, ct))
                        if (number > resumeAfter && !skip.Contains(number) && !Lines.IsBlank(line.Span))
                            await writer.AddAsync(line, number);
                    await writer.CompleteAsync();
                    return total;
                });
                progress.Delete();
                return BulkCommands.Summary(o, written, problems.Count, "written");
            }
            finally
            {
                if (spooled is not null) File.Delete(spooled);
            }
        });
        return import;
    }

    /// <summary>
    /// Beside the input, the line up to which an import is known written, for --resume; only trusted for the
    /// same namespace and an unchanged file. Replaced atomically, so a kill -9 leaves the old or the new one.
    /// </summary>
    private sealed class ImportProgress(string path, string namespaceId, FileInfo input)
    {
        public string Path => path;

        public long Load()
        {
            if (!File.Exists(path)) return 0;
            try
            {
                var saved = JsonNode.Parse(File.ReadAllText(path))!;
                if (saved["namespace"]?.GetValue<string>() != namespaceId || saved["size"]?.GetValue<long>() != input.Length
                    || saved["modified"]?.GetValue<long>() != input.LastWriteTimeUtc.Ticks)
                    throw new CliException(ExitCodes.Usage, $"{path} belongs to another namespace or an earlier version of the file, so --resume cannot trust it.", "Import without --resume (puts are idempotent).");
                return saved["through_line"]!.GetValue<long>();
            }
            catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException)
            {
                throw new CliException(ExitCodes.BadInput, $"{path} is damaged.", "Delete it and import without --resume.");
            }
        }

        public void Save(long throughLine)
        {
            if (throughLine < 0) return;
            var json = new JsonObject
            {
                ["namespace"] = namespaceId, ["size"] = input.Length, ["modified"] = input.LastWriteTimeUtc.Ticks, ["through_line"] = throughLine,
            };
            File.WriteAllText(path + ".tmp", json.ToJsonString());
            File.Move(path + ".tmp", path, overwrite: true);
        }

        public void Delete() => File.Delete(path);
    }
}
