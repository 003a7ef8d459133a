using Kivi.Core.Access;

namespace Kivi.Server.Rest;

/// <summary>Turns a bearer token into its caller: locally at an origin, through the upstream at an edge.</summary>
internal interface ICallerAuthenticator
{
    ValueTask<Caller?> AuthenticateAsync(string token, CancellationToken cancellationToken);

    /// <summary>The caller if it is known without I/O (the hot read path); null means "ask <see cref="AuthenticateAsync"/>".</summary>
    Caller? TryGetKnown(string token);
}
