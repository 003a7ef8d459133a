using System.Text.Json.Serialization.Metadata;

namespace Kivi.Client;

/// <summary>
/// One Kivi namespace, shaped like a Workers KV binding (<c>env.KV</c>): get, getWithMetadata, put with
/// expiration and metadata, delete, list with prefix and cursor; plus Kivi's additions: the version of
/// every entry, conditional puts, strong reads and watches. Every failure is a <see cref="Kivi.Protocol.KvException"/>
/// carrying the REST API's status, code and message; limits are checked before a request is sent.
/// </summary>
public interface IKvNamespace
{
    /// <summary>The namespace's id.</summary>
    string NamespaceId { get; }

    /// <summary>The value as UTF-8 text, or null when the key does not exist.</summary>
    ValueTask<string?> GetStringAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The value's bytes, or null when the key does not exist. A cached hit allocates nothing.</summary>
    ValueTask<ReadOnlyMemory<byte>?> GetBytesAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The value as a stream (large values stream from the server without being buffered), or null.</summary>
    ValueTask<Stream?> GetStreamAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The value parsed as JSON with a source-generated contract, or default when the key does not exist.</summary>
    ValueTask<T?> GetJsonAsync<T>(string key, JsonTypeInfo<T> jsonTypeInfo, KvReadOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The value with its metadata, expiration and version, or null when the key does not exist.</summary>
    ValueTask<KvEntry?> GetWithMetadataAsync(string key, KvReadOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Up to 100 keys at once (Workers KV's bulk get): each key maps to its entry, or to null when it does not exist.</summary>
    Task<IReadOnlyDictionary<string, KvEntry?>> GetManyAsync(IEnumerable<string> keys, KvReadOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a text value (UTF-8); returns the version it was given.</summary>
    Task<long> PutAsync(string key, string value, KvPutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a value; returns the version it was given.</summary>
    Task<long> PutAsync(string key, ReadOnlyMemory<byte> value, KvPutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a value read from a stream (sent as it is read; a stream that cannot seek is never retried).</summary>
    Task<long> PutAsync(string key, Stream value, KvPutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a value serialized as JSON with a source-generated contract.</summary>
    Task<long> PutJsonAsync<T>(string key, T value, JsonTypeInfo<T> jsonTypeInfo, KvPutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key (a missing key is not an error); returns the store's version after the delete.</summary>
    Task<long> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>One page of keys in UTF-8 byte order, with their metadata and expiration.</summary>
    Task<KvListResult> ListAsync(KvListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Every key under a prefix, page after page.</summary>
    IAsyncEnumerable<KvKey> ListAllAsync(string? prefix = null, KvReadOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The changes under a prefix as they are made, in version order, from <paramref name="afterVersion"/>
    /// (or from now). Reconnects by itself and resumes where it stopped; a <see cref="ChangeKind.Reset"/>
    /// says changes were missed (the server's log no longer reached back) and the reader should re-read.
    /// </summary>
    IAsyncEnumerable<KvChange> WatchAsync(string? prefix = null, long? afterVersion = null, CancellationToken cancellationToken = default);
}
