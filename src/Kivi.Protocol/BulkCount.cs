namespace Kivi.Protocol;

/// <summary>How many items one bulk request may carry, Workers KV's texts.</summary>
public static class BulkCount
{
    /// <summary>A bulk read: 1 to <see cref="KvLimits.MaxBulkGetKeys"/> keys.</summary>
    public static void CheckGet(int count, KvLimits limits)
    {
        if (count == 0) throw KvErrors.BulkGetNone();
        if (count > limits.MaxBulkGetKeys) throw KvErrors.BulkGetTooMany(limits.MaxBulkGetKeys);
    }

    /// <summary>A bulk write: up to <see cref="KvLimits.MaxBulkWritePairs"/> pairs.</summary>
    public static void CheckWrite(int count, KvLimits limits)
    {
        if (count > limits.MaxBulkWritePairs) throw KvErrors.BulkWriteTooMany(count, limits.MaxBulkWritePairs);
    }

    /// <summary>A bulk delete: up to <see cref="KvLimits.MaxBulkDeleteKeys"/> keys.</summary>
    public static void CheckDelete(int count, KvLimits limits)
    {
        if (count > limits.MaxBulkDeleteKeys) throw KvErrors.BulkDeleteTooMany(count, limits.MaxBulkDeleteKeys);
    }
}
