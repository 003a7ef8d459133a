namespace Kivi.Server.Rest;

/// <summary>
/// What an endpoint does, as metadata on it: its name (for error texts and logs), what an edge does with it
/// (<see cref="AtEdge"/>), and what it writes (so an edge that forwarded it can drop what it held of the written
/// keys). Read by one forwarding step after routing (<see cref="Edge.EdgeProxy"/>); never re-derived from URLs.
/// </summary>
internal sealed record KvOperation(string Name, AtEdge AtEdge = AtEdge.Forward, Writes Writes = Writes.Nothing)
{
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
