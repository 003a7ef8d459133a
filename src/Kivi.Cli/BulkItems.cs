using System.Buffers;
using System.Text.Json;
using Kivi.Protocol;

namespace Kivi.Cli;

/// <summary>What checking one bulk-write item found (its key is given with a problem or a skip).</summary>
internal readonly record struct ItemCheck(string? Key, string? Error, bool Skip)
{
    public bool Ok => Error is null && !Skip;
}

/// <summary>
/// Checks bulk-write items with the server's own rules (<see cref="BulkItemRules"/>) against the server's
/// effective limits (read from it: <c>GET /client/v4/kivi/limits</c>), so that a file is refused before
/// anything of it is written, and nothing the server would accept is refused.
/// </summary>
internal sealed class ItemValidator(KvLimits limits, long now, bool skipExpiring)
{
    /// <summary>Entries expiring sooner than this after now are skipped by an import: the server would refuse them (its minimum TTL) or they would expire while the import runs.</summary>
    public const int ExpiringMarginSeconds = 120;

    private long SkipMarginSeconds => Math.Max(ExpiringMarginSeconds, limits.MinExpirationTtlSeconds);

    public ItemCheck Check(ReadOnlyMemory<byte> json)
    {
        // Most items pass, read without an object; an item that does not, or may expire too soon to import, is read again the exact way.
        if (BulkItemReader.TryRead(json, now, limits, out var fine) && !(skipExpiring && fine.Expiration < now + SkipMarginSeconds))
            return new(null, null, false);
        BulkWriteItem? item;
        try
        {
            item = JsonSerializer.Deserialize(json.Span, KiviProtocolJsonContext.Default.BulkWriteItem);
        }
        catch (JsonException e)
        {
            return new(null, $"invalid JSON ({e.Message})", false);
        }
        try
        {
            if (skipExpiring && item is not null && BulkItemRules.AbsoluteExpiration(item) is { } at && at < now + SkipMarginSeconds)
            {
                KeyName.ToUtf8(item.Key, limits);
                return new(item.Key, null, true);
            }
            BulkItemRules.Check(item, now, limits);
            return new(item!.Key, null, false);
        }
        catch (KvException e)
        {
            return new(item?.Key, e.Message, false);
        }
    }
}

/// <summary>The lines of a file, read in blocks of whole lines (a block of about 1 MiB in memory at a time).</summary>
internal static class Lines
{
    private const int BlockBytes = 1 << 20;

    public static async IAsyncEnumerable<(long Number, ReadOnlyMemory<byte> Line)> ReadAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var (first, block) in ReadBlocksAsync(path, ct))
        {
            long number = first;
            var rest = block;
            while (TakeLine(ref rest, out var line)) yield return (number++, line);
        }
    }

    /// <summary>Takes the first line off <paramref name="rest"/> (without its <c>\n</c> or <c>\r\n</c>); false once nothing is left.</summary>
    public static bool TakeLine(ref ReadOnlyMemory<byte> rest, out ReadOnlyMemory<byte> line)
    {
        if (rest.IsEmpty)
        {
            line = default;
            return false;
        }
        int newline = rest.Span.IndexOf((byte)'\n');
        line = newline < 0 ? rest : rest[..newline];
        rest = newline < 0 ? ReadOnlyMemory<byte>.Empty : rest[(newline + 1)..];
        if (line.Length > 0 && line.Span[^1] == '\r') line = line[..^1];
        return true;
    }

    /// <summary>The file in blocks of whole lines (the last may end without a newline), each with its first line's number.</summary>
    public static async IAsyncEnumerable<(long First, ReadOnlyMemory<byte> Block)> ReadBlocksAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var buffer = new byte[BlockBytes];
        int filled = 0;
        long next = 1;
        while (true)
        {
            if (filled == buffer.Length)
            {
                int end = buffer.AsSpan().LastIndexOf((byte)'\n') + 1; // through the last whole line
                if (end == 0) Array.Resize(ref buffer, buffer.Length * 2); // a line longer than a block
                else
                {
                    long first = next;
                    next += buffer.AsSpan(0, end).Count((byte)'\n');
                    var block = buffer.AsMemory(0, end);
                    var carried = new byte[Math.Max(BlockBytes, (filled - end) * 2)]; // the block stays valid while the next is read
                    buffer.AsSpan(end, filled - end).CopyTo(carried);
                    filled -= end;
                    buffer = carried;
                    yield return (first, block);
                    continue;
                }
            }
            int read = await file.ReadAsync(buffer.AsMemory(filled), ct);
            if (read == 0)
            {
                if (filled > 0) yield return (next, buffer.AsMemory(0, filled));
                yield break;
            }
            filled += read;
        }
    }

    public static bool IsBlank(ReadOnlySpan<byte> line) => line.Trim(" \t\r"u8).IsEmpty;
}

/// <summary>What checking every line of a file found: the lines that passed, those skipped as about to expire, and the problems in line order.</summary>
internal sealed record FileCheck(long Valid, long Expiring, HashSet<long> Skip, List<(long Number, string? Key, string Error)> Problems);

/// <summary>
/// Checks every line of an NDJSON file of bulk-write items on all cores: the file is read in blocks of whole lines, each
/// block checked on its own, and the results put back in line order, so what is reported is what a line-by-line check
/// would report, in the same order. A million lines take a fraction of the time one thread does.
/// </summary>
internal static class FileChecker
{
    /// <summary>Checks the lines after <paramref name="resumeAfter"/> (earlier ones are counted in neither Valid nor Problems, as a resumed import skips them).</summary>
    public static async Task<FileCheck> CheckAsync(string path, ItemValidator validator, long resumeAfter, CancellationToken ct)
    {
        var results = new List<Task<FileCheck>>();
        using var gate = new SemaphoreSlim(Environment.ProcessorCount * 2); // bounds the blocks held in memory
        try
        {
            await foreach (var (first, block) in Lines.ReadBlocksAsync(path, ct))
            {
                await gate.WaitAsync(ct);
                results.Add(Task.Run(() =>
                {
                    try
                    {
                        return CheckBlock(block, first, validator, resumeAfter);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, ct));
            }
        }
        finally
        {
            await Task.WhenAll(results).ContinueWith(_ => { }, TaskScheduler.Default); // none left running on a failure
        }
        long valid = 0, expiring = 0;
        var skip = new HashSet<long>();
        var problems = new List<(long, string?, string)>();
        foreach (var result in results) // in block order, so in line order
        {
            var part = await result;
            valid += part.Valid;
            expiring += part.Expiring;
            skip.UnionWith(part.Skip);
            problems.AddRange(part.Problems);
        }
        return new FileCheck(valid, expiring, skip, problems);
    }

    /// <summary>One block's lines, numbered from <paramref name="first"/>.</summary>
    private static FileCheck CheckBlock(ReadOnlyMemory<byte> block, long first, ItemValidator validator, long resumeAfter)
    {
        long valid = 0, expiring = 0, number = first - 1;
        var skip = new HashSet<long>();
        var problems = new List<(long, string?, string)>();
        var rest = block;
        while (Lines.TakeLine(ref rest, out var line))
        {
            number++;
            if (Lines.IsBlank(line.Span)) continue;
            var check = validator.Check(line);
            if (check.Ok)
            {
                if (number > resumeAfter) valid++;
                continue;
            }
            skip.Add(number);
            if (check.Skip) expiring++;
            else problems.Add((number, check.Key, check.Error!));
        }
        return new FileCheck(valid, expiring, skip, problems);
    }
}

/// <summary>
/// Bulk writes of raw items, cut into requests within the server's limits (10,000 items, 100 MB by default) and sent a
/// few at a time. Each item carries a position (its line or index); <see cref="WrittenThrough"/> is the
/// position up to which every item is known written, for resuming.
/// </summary>
internal sealed class BulkWriter(KiviApi api, KvLimits limits, string namespaceId, int concurrency, Action<int, long> written, CancellationToken ct) : IAsyncDisposable
{
    private readonly int _maxItems = limits.MaxBulkWritePairs;
    private readonly long _maxBody = limits.MaxBulkWriteBytes * 95 / 100; // under the server's limit, with room for the brackets

    private readonly ArrayBufferWriter<byte> _body = new(1 << 20);
    private readonly List<Task> _inFlight = [];
    private readonly SortedDictionary<long, long> _done = []; // batch number -> its last position, until the batches before it finish
    private readonly Lock _lock = new();
    private int _items;
    private long _lastPosition = -1, _nextBatch, _nextToComplete;

    /// <summary>Every item at or before this position is known written (-1: none yet).</summary>
    public long WrittenThrough { get; private set; } = -1;

    /// <summary>Adds an item (its JSON, exactly as read; copied before this returns); sends a request when the batch is full.</summary>
    public async Task AddAsync(ReadOnlyMemory<byte> item, long position)
    {
        if (_items > 0 && (_items == _maxItems || _body.WrittenCount + item.Length + 2 > _maxBody)) await FlushAsync();
        _body.Write(_items == 0 ? "["u8 : ","u8);
        _body.Write(item.Span);
        _items++;
        _lastPosition = position;
    }

    /// <summary>Sends what is batched and waits for every request.</summary>
    public async Task CompleteAsync()
    {
        await FlushAsync();
        await Task.WhenAll(_inFlight);
    }

    private async Task FlushAsync()
    {
        if (_items == 0) return;
        _body.Write("]"u8);
        var content = new ByteArrayContent(_body.WrittenSpan.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        int count = _items;
        long batch = _nextBatch++, last = _lastPosition;
        _body.Clear();
        _items = 0;
        while (_inFlight.Count >= concurrency)
        {
            var finished = await Task.WhenAny(_inFlight);
            _inFlight.Remove(finished);
            await finished; // a failed request stops the run here
        }
        string path = $"{await api.NamespacesPathAsync(ct)}/{namespaceId}/bulk";
        _inFlight.Add(SendAsync(path, content, batch, last, count));
    }

    private async Task SendAsync(string path, HttpContent content, long batch, long last, int count)
    {
        using (content) await api.SendAsync(HttpMethod.Put, path, content, ct);
        lock (_lock)
        {
            _done[batch] = last;
            while (_done.Remove(_nextToComplete, out long through))
            {
                WrittenThrough = through;
                _nextToComplete++;
            }
            written(count, WrittenThrough);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_inFlight);
        }
        catch (Exception e) when (e is KvException or CliException or HttpRequestException or OperationCanceledException or IOException)
        {
            // reported by the call that saw it first
        }
    }
}
