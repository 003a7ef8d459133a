namespace Kivi.Core.Storage;

/// <summary>Counts the reads and lists a node serves, for the usage table (writes are counted by the store as it commits them).</summary>
public interface IUsageMeter
{
    /// <summary>One key read (found or not) with <paramref name="bytes"/> of value sent.</summary>
    void Read(KvNamespace ns, long bytes);

    /// <summary>One page of keys listed.</summary>
    void List(KvNamespace ns);
}
