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

    /// <summary>
    /// Reads one NDJSON line from its UTF-8 bytes. A change line, nearly every line of a feed, is read in one pass
    /// without a document or a UTF-16 copy; a heartbeat or a reset (with the store's history) is read as a document.
    /// Fields it does not know are skipped, in any order.
    /// </summary>
    public static FeedEvent Parse(ReadOnlyMemory<byte> line)
    {
        var reader = new Utf8JsonReader(line.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException("A feed line is not a JSON object.");
        bool typed = false;
        long head = 0;
        long? version = null, expiration = null;
        string? namespaceId = null, account = null, metadata = null;
        ChangeKind? kind = null;
        byte[]? key = null, value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (!reader.ValueTextEquals("change"u8)) return ParseDocument(line);
                typed = true;
            }
            else if (reader.ValueTextEquals("version"u8)) version = NextInt64(ref reader);
            else if (reader.ValueTextEquals("head"u8)) head = NextInt64(ref reader);
            else if (reader.ValueTextEquals("namespace"u8)) namespaceId = NextString(ref reader);
            else if (reader.ValueTextEquals("account"u8))
            {
                reader.Read();
                account = reader.GetString(); // null: no account, as when the field is absent
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                reader.Read();
                kind = KindOf(ref reader);
            }
            else if (reader.ValueTextEquals("key"u8))
            {
                reader.Read();
                key = JsonText.CopyUtf8(ref reader) ?? throw new InvalidDataException("A feed line's key is not text.");
            }
            else if (reader.ValueTextEquals("expiration"u8)) expiration = NextInt64(ref reader);
            else if (reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                value = reader.GetBytesFromBase64();
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                long start = reader.TokenStartIndex;
                reader.Skip();
                metadata = reader.TokenType == JsonTokenType.Null ? null : Encoding.UTF8.GetString(line.Span[(int)start..(int)reader.BytesConsumed]);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new InvalidDataException("A feed line ends inside its object.");
        if (!typed) throw new InvalidDataException("A feed line has no \"type\".");
        return FeedEvent.Change(kind ?? throw Missing("kind"), version ?? throw Missing("version"), head, namespaceId ?? throw Missing("namespace"),
            key, expiration, value, metadata, account);
    }

    private static InvalidDataException Missing(string field) => new($"A change line of the feed has no \"{field}\".");

    private static long NextInt64(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.GetInt64();
    }

    private static string NextString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.GetString() ?? throw new InvalidDataException("A feed line has null where it needs text.");
    }

    private static ChangeKind KindOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("put"u8) ? ChangeKind.Put
        : reader.ValueTextEquals("delete"u8) ? ChangeKind.Delete
        : reader.ValueTextEquals("expire"u8) ? ChangeKind.Expire
        : reader.ValueTextEquals("namespace_dropped"u8) ? ChangeKind.NamespaceDropped
        : throw new InvalidDataException($"Unknown change kind \"{reader.GetString()}\" in the feed.");

    /// <summary>A heartbeat or a reset: the type, the head, and the store's lineage.</summary>
    private static FeedEvent ParseDocument(ReadOnlyMemory<byte> line)
    {
        using var doc = JsonDocument.Parse(line);
        var o = doc.RootElement;
        string type = o.GetProperty("type").GetString()!;
        long head = o.TryGetProperty("head", out var h) ? h.GetInt64() : 0;
        return type switch
        {
            "heartbeat" => FeedEvent.Heartbeat(head, StoreLineage.Read(o)),
            "reset" => FeedEvent.ResetTo(head, StoreLineage.Read(o)),
            _ => throw new InvalidDataException($"Unknown line type \"{type}\" in the feed."),
        };
    }
}
