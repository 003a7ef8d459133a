namespace Kivi.Caching;

/// <summary>The upstream could not answer (unreachable, timed out, or failing): stale-if-error may serve what the cache holds.</summary>
public sealed class UpstreamUnavailableException : Exception
{
    public UpstreamUnavailableException(string message) : base(message) { }
    public UpstreamUnavailableException(string message, Exception inner) : base(message, inner) { }
    public UpstreamUnavailableException() { }
}
