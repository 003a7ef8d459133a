using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Kivi.Server.Roles;

/// <summary>
/// One role of a node: the services it registers and the role-specific parts of the API. Every endpoint of
/// the Cloudflare API is mapped the same in every role (<see cref="KiviApi"/>); what differs is registered here.
/// </summary>
internal interface IRoleModule
{
    KiviRole Role { get; }

    /// <summary>Registers the role's services: its engine capabilities, caches, feeds, authenticator.</summary>
    void AddServices(WebApplicationBuilder builder, KiviOptions options);

    /// <summary>Opens what the role needs before the first request (a store, its admin token and account) and logs how the node started.</summary>
    Task StartAsync(WebApplication app, KiviOptions options);

    /// <summary>Maps the role's change feed at <c>/kivi/changes</c> (a store's log, or an edge's relay) and, where it has one, the namespace watch.</summary>
    void MapFeed(RouteGroupBuilder api, RouteGroupBuilder namespaces);
}
