namespace Kivi.Client;

/// <summary>The upstream answered a read with a 4xx: the request or its token is wrong, not the network.</summary>
public sealed class UpstreamRefusedException : Exception
{
    public UpstreamRefusedException(int statusCode, int code, string serverMessage, string message) : base(message)
    {
        StatusCode = statusCode;
        Code = code;
        ServerMessage = serverMessage;
    }

    public UpstreamRefusedException() { }
    public UpstreamRefusedException(string message) : base(message) { }
    public UpstreamRefusedException(string message, Exception inner) : base(message, inner) { }

    public int StatusCode { get; }

    /// <summary>The server's error code (<see cref="Kivi.Protocol.KvErrorCode"/>), 0 when it gave none.</summary>
    public int Code { get; }

    /// <summary>The server's own message, without this client's context.</summary>
    public string ServerMessage { get; } = "";
}
