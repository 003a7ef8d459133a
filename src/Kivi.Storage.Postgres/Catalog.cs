using Kivi.Core.Access;
using Kivi.Core.Storage;
using Npgsql;

namespace Kivi.Storage.Postgres;

/// <summary>
/// An origin's copy of the small tables every request consults (accounts, namespaces, tokens), as of one
/// catalog number. Published copies are never changed; the writer changes a private clone and publishes it
/// after COMMIT, and the follower replaces it when another origin's commit raised the number.
/// </summary>
internal sealed class Catalog
{
    public Catalog(long version) => Version = version;

    public long Version { get; set; }
    public Dictionary<string, KvNamespace> Namespaces { get; } = new(StringComparer.Ordinal);
    public Dictionary<long, KvNamespace> ByHandle { get; } = [];
    public Dictionary<string, KvToken> TokensByHash { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Accounts { get; } = new(StringComparer.Ordinal);

    public static readonly Catalog Empty = new(-1);

    /// <summary>A private copy for the writer to change, numbered <paramref name="version"/>.</summary>
    public Catalog Clone(long version)
    {
        var copy = new Catalog(version);
        foreach (var ns in Namespaces.Values) copy.Add(ns);
        foreach (var (hash, token) in TokensByHash) copy.TokensByHash[hash] = token;
        copy.Accounts.UnionWith(Accounts);
        return copy;
    }

    public void Add(KvNamespace ns)
    {
        Namespaces[ns.Id] = ns;
        ByHandle[ns.Handle] = ns;
    }

    public void Remove(KvNamespace ns)
    {
        Namespaces.Remove(ns.Id);
        ByHandle.Remove(ns.Handle);
    }

    public KvToken? FindToken(string accountId, string tokenId) =>
        TokensByHash.Values.FirstOrDefault(t => t.Id == tokenId && t.AccountId == accountId);

    /// <summary>Reads the three tables inside <paramref name="transaction"/> (which must see one snapshot, or hold the head's lock).</summary>
    public static async Task<Catalog> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long version, CancellationToken cancellationToken)
    {
        var catalog = new Catalog(version);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { new(PostgresSql.LoadAccounts), new(PostgresSql.LoadNamespaces), new(PostgresSql.LoadTokens) },
        };
        await using var r = await batch.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken)) catalog.Accounts.Add(r.GetString(0));
        await r.NextResultAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken)) catalog.Add(ReadNamespace(r));
        await r.NextResultAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var token = ReadToken(r);
            catalog.TokensByHash[Convert.ToHexString(token.Hash)] = token;
        }
        return catalog;
    }

    public static KvNamespace ReadNamespace(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4));

    public static KvToken ReadToken(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), (TokenPermission)r.GetInt32(3),
        r.IsDBNull(4) ? null : System.Text.Json.JsonSerializer.Deserialize(r.GetString(4), PostgresJsonContext.Default.StringArray),
        r.GetInt64(5), r.GetFieldValue<byte[]>(6));

    public static string? SerializeNamespaces(KvToken token) =>
        token.Namespaces is null ? null : System.Text.Json.JsonSerializer.Serialize(token.Namespaces.ToArray(), PostgresJsonContext.Default.StringArray);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class PostgresJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
