using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Kivi.Testing;

/// <summary>
/// Sends a request exactly as written, over a raw socket: HttpClient normalises targets (drops "..",
/// escapes stray "%"), which would hide the very requests these tests are about.
/// </summary>
public static class RawHttp
{
    public static async Task<(int Status, JsonElement Body)> SendAsync(Uri server, string method, string target, string? token, string body = "")
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(server.Authority).Append("\r\n")
            .Append("Connection: close\r\n")
            .Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n");
        if (token is not null) request.Append("Authorization: Bearer ").Append(token).Append("\r\n");
        request.Append("\r\n").Append(body);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync();
        int status = int.Parse(response.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        int start = response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        string payload = response[start..];
        if (response.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) payload = Unchunk(payload);
        using var doc = JsonDocument.Parse(payload.Length == 0 ? "null" : payload);
        return (status, doc.RootElement.Clone());
    }

    private static string Unchunk(string chunked)
    {
        var result = new StringBuilder();
        int i = 0;
        while (i < chunked.Length)
        {
            int eol = chunked.IndexOf("\r\n", i, StringComparison.Ordinal);
            int size = Convert.ToInt32(chunked[i..eol], 16);
            if (size == 0) break;
            result.Append(chunked, eol + 2, size);
            i = eol + 2 + size + 2;
        }
        return result.ToString();
    }
}
