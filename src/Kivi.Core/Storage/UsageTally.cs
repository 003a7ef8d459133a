using Kivi.Protocol;

namespace Kivi.Core.Storage;

/// <summary>
/// The usage one write transaction adds, summed so that a group of a thousand writes costs the store one row per
/// namespace and hour: operations by (account, namespace, hour), storage deltas by namespace handle. Each engine fills
/// one as it applies a group and writes it before COMMIT, so usage is exactly as durable as the writes it counts.
/// </summary>
public sealed class UsageTally
{
    /// <summary>Operations of one namespace in one hour; <see cref="Handle"/> finds its storage row (0 when it has none here).</summary>
    public sealed class Operations(string accountId, string namespaceId, long hour, long handle)
    {
        public string AccountId { get; } = accountId;
        public string NamespaceId { get; } = namespaceId;
        public long Hour { get; } = hour;
        public long Handle { get; } = handle;
        public long Reads { get; set; }
        public long Writes { get; set; }
        public long Deletes { get; set; }
        public long Lists { get; set; }
        public long ReadBytes { get; set; }
        public long WriteBytes { get; set; }
    }

    private readonly Dictionary<(string, long), Operations> _operations = [];
    private readonly Dictionary<long, (long Keys, long Bytes)> _storage = [];

    public IEnumerable<Operations> OperationRows => _operations.Values;

    /// <summary>Storage changes by namespace handle: keys and bytes added (negative: removed).</summary>
    public IReadOnlyDictionary<long, (long Keys, long Bytes)> StorageDeltas => _storage;

    public bool IsEmpty => _operations.Count == 0 && _storage.Count == 0;

    private Operations For(string accountId, string namespaceId, long hour, long handle)
    {
        if (!_operations.TryGetValue((namespaceId, hour), out var row))
            _operations[(namespaceId, hour)] = row = new Operations(accountId, namespaceId, hour, handle);
        return row;
    }

    /// <summary>One entry written by <paramref name="author"/>: a write of its value's bytes.</summary>
    public void Write(KvNamespace ns, ChangeAuthor? author, long valueBytes)
    {
        if (author is null) return;
        var row = For(ns.AccountId, ns.Id, UsageReport.HourOf(author.At), ns.Handle);
        row.Writes++;
        row.WriteBytes += valueBytes;
    }

    /// <summary>One key named in a delete by <paramref name="author"/>, whether it existed or not.</summary>
    public void Delete(KvNamespace ns, ChangeAuthor? author)
    {
        if (author is not null) For(ns.AccountId, ns.Id, UsageReport.HourOf(author.At), ns.Handle).Deletes++;
    }

    /// <summary>Reads and lists from a report; <paramref name="handle"/> as for <see cref="Operations.Handle"/>.</summary>
    public void Add(UsageCount count, long handle)
    {
        var row = For(count.AccountId, count.NamespaceId, count.Hour, handle);
        row.Reads += count.Reads;
        row.Lists += count.Lists;
        row.ReadBytes += count.ReadBytes;
    }

    /// <summary>A namespace's storage changed by <paramref name="keys"/> and <paramref name="bytes"/>.</summary>
    public void Stored(long handle, long keys, long bytes)
    {
        _storage.TryGetValue(handle, out var now);
        _storage[handle] = (now.Keys + keys, now.Bytes + bytes);
    }

    /// <summary>
    /// An entry of a namespace expired and was removed at <paramref name="unixSeconds"/>: storage shrinks, and the hour's
    /// usage row records the storage it leaves (no operation is counted: nobody made one).
    /// </summary>
    public void Expired(string accountId, string namespaceId, long handle, long unixSeconds, long size)
    {
        Stored(handle, -1, -size);
        For(accountId, namespaceId, UsageReport.HourOf(unixSeconds * 1000), handle);
    }

    /// <summary>A namespace dropped: its storage row goes with it, and nothing more is added to it.</summary>
    public void Dropped(long handle) => _storage.Remove(handle);

    public void Clear()
    {
        _operations.Clear();
        _storage.Clear();
    }

    /// <summary>What an entry counts for in storage: its key, value and metadata bytes.</summary>
    public static long SizeOf(EntryWrite entry) =>
        entry.Key.Length + entry.Value.Length + (entry.Metadata is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(entry.Metadata));
}
