namespace Kivi.Server.Roles;

/// <summary>What a node is (<c>--role</c>).</summary>
public enum KiviRole
{
    /// <summary>A store that serves clients, with the edge's cache in process (the default).</summary>
    Single,

    /// <summary>A store that serves edges (and clients), without an in-process cache.</summary>
    Origin,

    /// <summary>No store: a cache kept current by its upstream's feed; writes forwarded upstream.</summary>
    Edge,
}
