using System.Buffers;

namespace Kivi.Core;

/// <summary>
/// A value on its way to storage, held in pooled 64 KiB segments so a 25 MiB value never needs one
/// contiguous array (no large-object-heap churn) and is copied from the request exactly once.
/// </summary>
public sealed class ValueBuffer : IDisposable
{
    private const int SegmentSize = 64 * 1024;

    /// <summary>
    /// Values' own pool, bounded (up to 1,024 arrays of each size: 64 MiB of 64 KiB segments): the shared
    /// pool keeps a few arrays per core, so a stream of uploads rented new segments and left each as garbage
    /// that only a full collection reclaims, roughly doubling the memory that uploads in progress take.
    /// </summary>
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(SegmentSize, 1024);
    private readonly List<byte[]> _segments = [];
    private readonly bool _pooled;
    private bool _disposed;

    private ValueBuffer(bool pooled) => _pooled = pooled;

    /// <summary>Total bytes held.</summary>
    public long Length { get; private set; }

    /// <summary>Wraps bytes that are already in memory, without copying them.</summary>
    public static ValueBuffer FromBytes(byte[] bytes)
    {
        var buffer = new ValueBuffer(pooled: false);
        if (bytes.Length > 0) buffer._segments.Add(bytes);
        buffer.Length = bytes.Length;
        return buffer;
    }

    /// <summary>
    /// Reads a stream to its end. Reading stops, and <paramref name="tooLarge"/> is thrown with the bytes
    /// seen so far, as soon as more than <paramref name="maxBytes"/> arrive. With <paramref name="expectedLength"/>
    /// (a request's Content-Length) a small body takes a segment of its own size from the pool, not 64 KiB:
    /// pooled 64 KiB segments run out under many concurrent small writes, and each one then is new garbage.
    /// </summary>
    public static async Task<ValueBuffer> ReadAsync(Stream source, long maxBytes, Func<long, Exception> tooLarge, CancellationToken cancellationToken, long? expectedLength = null)
    {
        var buffer = new ValueBuffer(pooled: true);
        int size = expectedLength is { } expected && expected < SegmentSize ? (int)expected + 1 : SegmentSize; // +1: the end is seen within it
        try
        {
            while (true)
            {
                var segment = Pool.Rent(size);
                size = SegmentSize;
                buffer._segments.Add(segment);
                int filled = 0;
                while (filled < segment.Length)
                {
                    int read = await source.ReadAsync(segment.AsMemory(filled), cancellationToken);
                    if (read == 0) break;
                    filled += read;
                    buffer.Length += read;
                    if (buffer.Length > maxBytes) throw tooLarge(buffer.Length);
                }
                if (filled < segment.Length) return buffer;
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>The bytes, segment by segment, in order.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Segments
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long remaining = Length;
            foreach (var segment in _segments)
            {
                if (remaining <= 0) yield break;
                int count = (int)Math.Min(remaining, segment.Length); // every segment but the last is full
                yield return segment.AsMemory(0, count);
                remaining -= count;
            }
        }
    }

    /// <summary>The bytes without copying, when they are held in one piece (always so for values under 64 KiB).</summary>
    public bool TryGetContiguous(out ReadOnlyMemory<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Length == 0) bytes = ReadOnlyMemory<byte>.Empty;
        else if (_segments.Count == 1) bytes = _segments[0].AsMemory(0, (int)Length);
        else
        {
            bytes = default;
            return false;
        }
        return true;
    }

    /// <summary>The value as one contiguous array (copies unless it is a single wrapped array).</summary>
    public byte[] ToArray()
    {
        if (!_pooled && _segments.Count == 1 && _segments[0].Length == Length) return _segments[0];
        var result = new byte[Length];
        int offset = 0;
        foreach (var segment in Segments)
        {
            segment.Span.CopyTo(result.AsSpan(offset));
            offset += segment.Length;
        }
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_pooled)
            foreach (var segment in _segments) Pool.Return(segment);
        _segments.Clear();
    }
}
