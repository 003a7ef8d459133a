namespace Kivi.Server.Rest;

/// <summary>What an endpoint does with a namespace's data.</summary>
internal enum NamespaceAccess
{
    Read,
    Write,
}
