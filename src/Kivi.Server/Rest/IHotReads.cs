using Kivi.Caching;
using Kivi.Core.Access;
using Kivi.Core.Storage;

namespace Kivi.Server.Rest;

/// <summary>An engine with a cache in front (an edge, or a single node): what the hot read path may answer from.</summary>
internal interface IHotReads
{
    KvCache Cache { get; }

    TimeSpan DefaultCacheTtl { get; }

    /// <summary>The namespace if it is known without I/O; null sends the read down the full pipeline.</summary>
    KvNamespace? TryGetKnownNamespace(ReadOnlySpan<char> namespaceId);

    /// <summary>Whether this caller's reads are answered from the cache here (a store answers edges from the store).</summary>
    bool ServesFromCache(Caller caller);
}
