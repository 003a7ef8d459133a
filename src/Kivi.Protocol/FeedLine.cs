using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kivi.Protocol;

/// <summary>
/// The change feed's line (NDJSON, or a server-sent event), both sides: <see cref="Write"/> for an origin and
/// an edge relaying to the tier below, <see cref="Parse"/> for an edge or an SDK following it.
/// <code>
/// {"type":"heartbeat","head":41,"store":"5f0c…","history":[[e,v],…]}
/// {"type":"change","version":42,"head":42,"account":"…","namespace":"…","key":"b","kind":"put","expiration":…,"value":"base64","metadata":…}
/// {"type":"reset","head":90,"store":"5f0c…","history":[…]}
/// </code>
/// </summary>
public static class FeedLine
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The wire name of a change kind.</summary>
    public static string Name(ChangeKind kind) => kind switch
    {
        ChangeKind.Put => "put",
        ChangeKind.Delete => "delete",
        ChangeKind.Expire => "expire",
        ChangeKind.NamespaceDropped => "namespace_dropped",
        ChangeKind.Reset => "reset",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a change kind."),
    };

    /// <summary>
    /// Writes one line; as a server-sent event when <paramref name="sse"/> (<c>id</c> the version the reader has
    /// seen everything up to, <c>event</c> the line's type, <c>data</c> the same JSON).
    /// </summary>
    public static void Write(IBufferWriter<byte> output, FeedEvent e, bool sse)
    {
        if (e.Type == FeedLineType.Checkpoint) throw new ArgumentException("A checkpoint never leaves its process.", nameof(e));
        bool reset = e.Is(ChangeKind.Reset);
        string type = e.Type == FeedLineType.Heartbeat ? "heartbeat" : reset ? "reset" : "change";
        if (sse)
        {
            long id = e.Type == FeedLineType.Heartbeat || reset ? e.Head : e.Version;
            output.Write(Encoding.UTF8.GetBytes($"id: {id.ToString(CultureInfo.InvariantCulture)}\nevent: {type}\ndata: "));
        }
        using (var w = new Utf8JsonWriter(output, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            if (e.Type == FeedLineType.Heartbeat || reset)
            {
                w.WriteNumber("head", e.Head);
                if (e.Lineage is { } lineage)
                {
                    w.WriteString("store", lineage.StoreId);
                    lineage.WriteHistory(w);
                }
            }
            else
            {
                w.WriteNumber("version", e.Version);
                w.WriteNumber("head", e.Head);
                if (e.AccountId is { } account) w.WriteString("account", account);
                w.WriteString("namespace", e.NamespaceId);
                if (e.Key is { } key) w.WriteString("key", key);
                w.WriteString("kind", Name(e.Kind));
                if (e.Expiration is { } expiration) w.WriteNumber("expiration", expiration);
                if (e.Value is { } value)
                {
                    w.WriteBase64String("value", value);
                    w.WritePropertyName("metadata");
                    if (e.Metadata is null) w.WriteNullValue();
                    else w.WriteRawValue(e.Metadata, skipInputValidation: true);
                }
            }
            w.WriteEndObject();
        }
        output.Write(sse ? "\n\n"u8 : "\n"u8);
    }

    /// <summary>Reads one NDJSON line.</summary>
    public static FeedEvent Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var o = doc.RootElement;
        string type = o.GetProperty("type").GetString()!;
        long head = o.TryGetProperty("head", out var h) ? h.GetInt64() : 0;
        switch (type)
        {
            case "heartbeat": return FeedEvent.Heartbeat(head, StoreLineage.Read(o));
            case "reset": return FeedEvent.ResetTo(head, StoreLineage.Read(o));
            case "change": break;
            default: throw new InvalidDataException($"Unknown line type \"{type}\" in the feed.");
        }
        var kind = o.GetProperty("kind").GetString() switch
        {
            "put" => ChangeKind.Put,
            "delete" => ChangeKind.Delete,
            "expire" => ChangeKind.Expire,
            "namespace_dropped" => ChangeKind.NamespaceDropped,
            var other => throw new InvalidDataException($"Unknown change kind \"{other}\" in the feed."),
        };
        byte[]? key = o.TryGetProperty("key", out var k) ? Encoding.UTF8.GetBytes(k.GetString()!) : null;
        long? expiration = o.TryGetProperty("expiration", out var e) ? e.GetInt64() : null;
        byte[]? value = o.TryGetProperty("value", out var v) ? v.GetBytesFromBase64() : null;
        string? metadata = o.TryGetProperty("metadata", out var md) && md.ValueKind != JsonValueKind.Null ? md.GetRawText() : null;
        return FeedEvent.Change(kind, o.GetProperty("version").GetInt64(), head, o.GetProperty("namespace").GetString()!, key, expiration, value, metadata,
            o.TryGetProperty("account", out var a) ? a.GetString() : null);
    }
}
