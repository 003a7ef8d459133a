namespace Kivi.Server.Rest;

/// <summary>How many reads <see cref="HotReadPath"/> answered itself, ahead of routing (for tests now; a metric later).</summary>
internal sealed class HotReadCounter
{
    private long _answered;

    public long Answered => Interlocked.Read(ref _answered);

    public void Add() => Interlocked.Increment(ref _answered);
}
