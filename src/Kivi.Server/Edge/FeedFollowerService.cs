using Kivi.Caching;
using Microsoft.Extensions.Hosting;

namespace Kivi.Server.Edge;

/// <summary>Runs the edge's feed follower for as long as the host runs.</summary>
internal sealed class FeedFollowerService(FeedFollower follower) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        follower.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await follower.DisposeAsync();
}
