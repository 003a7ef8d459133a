namespace Kivi.Protocol;

/// <summary>A failure a client caused or must know about, with Cloudflare's status and a stable code.</summary>
public sealed class KvException : Exception
{
    public KvException(int statusCode, int code, string message) : this(statusCode, code, message, null)
    {
    }

    public KvException(int statusCode, int code, string message, Exception? innerException) : base(message, innerException)
    {
        StatusCode = statusCode;
        Code = code;
    }

    /// <summary>The HTTP status Workers KV answers with (400, 404, 413, 414, ...).</summary>
    public int StatusCode { get; }

    /// <summary>The stable error code of <see cref="KvErrorCode"/>.</summary>
    public int Code { get; }

    /// <summary>
    /// Kivi's clarification of a message kept word for word as Workers KV's (Workers may match on it): shown
    /// after the message in REST answers, never on the binding protocol.
    /// </summary>
    public string? Detail { get; init; }
}
