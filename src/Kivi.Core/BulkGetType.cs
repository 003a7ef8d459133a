namespace Kivi.Core;

/// <summary>How bulk get returns values.</summary>
public enum BulkGetType
{
    Text,
    Json,
}
