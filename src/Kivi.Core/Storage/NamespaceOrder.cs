namespace Kivi.Core.Storage;

/// <summary>How a namespace listing is sorted.</summary>
public enum NamespaceOrder
{
    Id,
    Title,
}
