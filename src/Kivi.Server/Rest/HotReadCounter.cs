using Kivi.Caching;

namespace Kivi.Server.Rest;

/// <summary>
/// How many reads <see cref="HotReadPath"/> answered itself, ahead of routing (for tests now; a metric later).
/// Striped: the hottest path of the server must not contend on one cache line.
/// </summary>
internal sealed class HotReadCounter
{
    private readonly StripedCounter _answered = new();

    public long Answered => _answered.Sum();

    public void Add() => _answered.Increment();
}
