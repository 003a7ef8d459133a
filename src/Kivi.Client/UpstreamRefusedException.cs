namespace Kivi.Client;

/// <summary>The upstream answered with a 4xx: a configuration problem (a token without access, say), not an outage.</summary>
public sealed class UpstreamRefusedException : Exception
{
    public UpstreamRefusedException(int statusCode, string message) : base(message) => StatusCode = statusCode;
    public UpstreamRefusedException() { }
    public UpstreamRefusedException(string message) : base(message) { }
    public UpstreamRefusedException(string message, Exception inner) : base(message, inner) { }

    public int StatusCode { get; }
}
