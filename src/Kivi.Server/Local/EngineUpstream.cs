using Kivi.Caching;
using Kivi.Core.Storage;

namespace Kivi.Server.Local;

/// <summary>The local store as the upstream of a single node's in-process cache.</summary>
internal sealed class EngineUpstream(IKvReads store, TimeProvider time, int maxEntryBytes) : IKvUpstream
{
    private long Now => time.GetUtcNow().ToUnixTimeSeconds();

    public async Task<UpstreamRead> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        long head = store.HeadVersion; // before the read: the answer includes at least everything up to it
        if (await store.FindNamespaceAsync(key.NamespaceId, cancellationToken) is not { } ns) return UpstreamRead.Missing(head);
        var read = await store.GetAsync(ns, key.Key, new ReadOptions(Now), cancellationToken);
        head = read.AsOf;
        if (read.Value is not { } value) return UpstreamRead.Missing(head);
        if (value.Stream is not null && value.Length > maxEntryBytes)
            return new UpstreamRead { Found = true, Body = new OwnedStream(value), Length = value.Length, Metadata = value.Metadata, Expiration = value.Expiration, Version = value.Version, AsOf = head };
        await using (value)
        {
            var bytes = (await value.ReadAllAsync(cancellationToken)).ToArray();
            return new UpstreamRead { Found = true, Value = bytes, Length = bytes.Length, Metadata = value.Metadata, Expiration = value.Expiration, Version = value.Version, AsOf = head };
        }
    }

    public async Task<UpstreamList> ListAsync(string namespaceId, byte[] prefix, byte[]? startAfter, int limit, CancellationToken cancellationToken)
    {
        long head = store.HeadVersion;
        if (await store.FindNamespaceAsync(namespaceId, cancellationToken) is not { } ns) return new UpstreamList([], false, head);
        var listed = await store.ListAsync(ns, prefix, startAfter, limit + 1, new ReadOptions(Now), cancellationToken);
        var rows = listed.Value;
        head = listed.AsOf;
        var keys = rows.Take(limit).Select(r => new ListedKey(r.Key, r.Metadata, r.Expiration, r.Version)).ToList();
        return new UpstreamList(keys, rows.Count > limit, head);
    }

    /// <summary>A large value's stream that releases the store's read snapshot when disposed.</summary>
    private sealed class OwnedStream(StoredValue value) : Stream
    {
        private readonly Stream _inner = value.Stream!;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => value.Length;
        public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long v) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        private int _disposed;

        public override async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) await value.DisposeAsync();
            await base.DisposeAsync();
        }

        protected override void Dispose(bool disposing)
        {
            // Streams are disposed asynchronously on every Kivi path; this covers a synchronous caller.
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0) value.DisposeAsync().AsTask().GetAwaiter().GetResult();
            base.Dispose(disposing);
        }
    }
}
