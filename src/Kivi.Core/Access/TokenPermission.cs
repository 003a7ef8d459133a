namespace Kivi.Core.Access;

/// <summary>What a scoped token may do within its account.</summary>
public enum TokenPermission
{
    /// <summary>Read values, metadata and key lists of its namespaces.</summary>
    Read = 1,
    /// <summary>Read and write values of its namespaces.</summary>
    ReadWrite = 2,
    /// <summary>Everything in the account: namespaces, values and tokens.</summary>
    AccountAdmin = 3,
    /// <summary>Read the change feed (for edges); no values through the API.</summary>
    Replication = 4,
    /// <summary>Scrape a node's metrics (<c>/metrics</c>); no data. Node-wide, so only the admin token issues it.</summary>
    Metrics = 5,
}
