namespace Kivi.Protocol;

/// <summary>The kinds of operation Workers KV prices and limits: each has its own quota.</summary>
public enum UsageKind
{
    Reads,
    Writes,
    Deletes,
    Lists,
}
