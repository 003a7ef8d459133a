namespace Kivi.Core.Storage;

/// <summary>
/// One namespace's usage in one UTC hour (<see cref="Hour"/>, Unix seconds): operations, bytes, and its stored keys and
/// bytes after the hour's last write (null when it had none).
/// </summary>
public sealed record UsageRecord(string NamespaceId, long Hour, long Reads, long Writes, long Deletes, long Lists, long ReadBytes, long WriteBytes, long? Keys, long? Bytes);
