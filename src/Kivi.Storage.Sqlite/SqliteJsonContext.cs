using System.Text.Json.Serialization;

namespace Kivi.Storage.Sqlite;

/// <summary>Source-generated JSON for the few JSON columns the engine keeps (a token's namespace list).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
