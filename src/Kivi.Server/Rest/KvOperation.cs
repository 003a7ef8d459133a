namespace Kivi.Server.Rest;

/// <summary>
/// What an endpoint does, as metadata on it: its name (for error texts and logs), what an edge does with it
/// (<see cref="AtEdge"/>), and what it writes (so an edge that forwarded it can drop what it held of the written
/// keys). Read by one forwarding step after routing (<see cref="Edge.EdgeProxy"/>); never re-derived from URLs.
/// </summary>
internal sealed record KvOperation(string Name, AtEdge AtEdge = AtEdge.Forward, Writes Writes = Writes.Nothing)
{
    /// <summary>Whether this is Kivi's addition beside Cloudflare's API (so marked in the OpenAPI document).</summary>
    public bool Addition { get; init; }

    /// <summary>The operation as metrics label it (<c>list_keys</c>).</summary>
    public string MetricName { get; } = Name.Replace(' ', '_');

    /// <summary>The span's name, as workerd names its KV spans where it has one (<c>kv_get</c>, <c>kv_list</c>, <c>kv_getBulk</c>).</summary>
    public string SpanName { get; } = Name switch
    {
        "get" => "kv_get",
        "get metadata" => "kv_getWithMetadata",
        "list keys" => "kv_list",
        "put" => "kv_put",
        "delete" => "kv_delete",
        "bulk get" => "kv_getBulk",
        _ => "kv_" + Name.Replace(' ', '_'),
    };

    /// <summary>A Kivi addition an edge forwards upstream.</summary>
    public static KvOperation Kivi(string name) => new(name) { Addition = true };

    /// <summary>A read an edge answers from its cache (a strong read it forwards).</summary>
    public static KvOperation Read(string name) => new(name, AtEdge.ServeUnlessStrong);

    /// <summary>A write an edge forwards upstream, then drops what it held of <paramref name="writes"/>.</summary>
    public static KvOperation Write(string name, Writes writes) => new(name, AtEdge.Forward, writes);
}

/// <summary>What an edge does with a request.</summary>
internal enum AtEdge
{
    /// <summary>Sends it upstream byte for byte, with the client's own token: the origin authorizes and answers.</summary>
    Forward,

    /// <summary>Answers it itself.</summary>
    Serve,

    /// <summary>Answers it itself, unless it asks for <c>consistency=strong</c>.</summary>
    ServeUnlessStrong,
}

/// <summary>What a forwarded write changes, for the edge to forget once the upstream acknowledges it.</summary>
internal enum Writes
{
    Nothing,

    /// <summary>The key in the path.</summary>
    Key,

    /// <summary>The keys listed in the body (bulk write and delete).</summary>
    BodyKeys,

    /// <summary>The whole namespace.</summary>
    Namespace,
}
