using System.Threading.Channels;

namespace Kivi.Core.Storage;

/// <summary>A write waiting for its group commit: the command, its size, and how its writer hears the outcome.</summary>
public sealed class PendingWrite(WriteCommand command)
{
    public WriteCommand Command { get; } = command;

    /// <summary>The bytes of value it carries, which bound a group as well as its count.</summary>
    public long Bytes { get; } = command is PutEntries p ? p.Entries.Sum(e => (long)e.Value.Length) : 0;

    /// <summary>Completed once the write is durable (or failed); continuations never run on the writer.</summary>
    public TaskCompletionSource<WriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The outcome, held until the group is durable.</summary>
    public WriteResult? Result { get; set; }

    /// <summary>What to make visible to readers once the group commits (a catalog change), if anything.</summary>
    public Action? Publish { get; set; }
}

/// <summary>
/// The queue every engine's single writer drains into group commits: bounded (writers wait when 8,192 are
/// queued), a group cut by count and by bytes. The same for every engine; what a group does is the engine's.
/// </summary>
public sealed class WriteQueue
{
    private readonly Channel<PendingWrite> _channel = Channel.CreateBounded<PendingWrite>(
        new BoundedChannelOptions(8192) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Queues a command and completes with its outcome once it is durable.</summary>
    public async Task<WriteResult> SubmitAsync(WriteCommand command)
    {
        var pending = new PendingWrite(command);
        await _channel.Writer.WriteAsync(pending);
        return await pending.Done.Task;
    }

    /// <summary>Writes waiting for a group commit.</summary>
    public int Depth => _channel.Reader.Count;

    /// <summary>Waits until a write is queued; false once the queue is completed and drained.</summary>
    public ValueTask<bool> WaitToReadAsync() => _channel.Reader.WaitToReadAsync();

    /// <summary>
    /// Takes the next queued write into <paramref name="batch"/> unless the batch is full (<paramref name="maxWrites"/>
    /// writes or <paramref name="maxBytes"/> bytes, counted in <paramref name="bytes"/>) or nothing is queued.
    /// </summary>
    public bool TryTake(List<PendingWrite> batch, ref long bytes, int maxWrites, long maxBytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PendingWrite? next)
    {
        next = null;
        if (batch.Count >= maxWrites || bytes >= maxBytes || !_channel.Reader.TryRead(out next)) return false;
        batch.Add(next);
        bytes += next.Bytes;
        return true;
    }

    /// <summary>Whether a batch holding <paramref name="count"/> writes and <paramref name="bytes"/> bytes is full.</summary>
    public static bool IsFull(int count, long bytes, int maxWrites, long maxBytes) => count >= maxWrites || bytes >= maxBytes;

    /// <summary>No more writes: the writer drains what is queued, then stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
