using Kivi.Protocol;
using Kivi.Server.Rest;

namespace Kivi.Server.Tests;

/// <summary>The memory budget for request bodies being read: large ones wait their turn, in order, and never all at once.</summary>
public sealed class UploadBudgetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Large_bodies_wait_for_room_in_arrival_order_and_small_ones_never_wait()
    {
        var budget = new UploadBudget(capacity: 10_000_000, maxWait: TimeSpan.FromMinutes(1));
        var first = await budget.AcquireAsync(6_000_000, Ct);
        Assert.Null(await budget.AcquireAsync(UploadBudget.SmallBody, Ct)); // not counted
        var second = budget.AcquireAsync(6_000_000, Ct).AsTask();
        var third = budget.AcquireAsync(1_000_000, Ct).AsTask(); // would fit, but waits behind the second
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        Assert.Equal(6_000_000, budget.InUse);
        first!.Dispose();
        (await second)!.Dispose();
        using var lease = await third;
        Assert.Equal(1_000_000, budget.InUse);
        // A body larger than the whole budget waits until it has the budget to itself.
        var huge = budget.AcquireAsync(50_000_000, Ct).AsTask();
        Assert.False(huge.IsCompleted);
        lease!.Dispose();
        using var alone = await huge;
        Assert.Equal(10_000_000, budget.InUse);
    }

    [Fact]
    public async Task A_body_that_waits_too_long_is_refused_with_a_503_and_gives_its_place_back()
    {
        var budget = new UploadBudget(capacity: 2_000_000, maxWait: TimeSpan.FromMilliseconds(200));
        using var held = await budget.AcquireAsync(2_000_000, Ct);
        var refused = await Assert.ThrowsAsync<KvException>(async () => await budget.AcquireAsync(1_000_000, Ct));
        Assert.Equal((503, KvErrorCode.UpstreamUnavailable), (refused.StatusCode, refused.Code));
        Assert.Contains("nothing was written", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2_000_000, budget.InUse);
        held!.Dispose();
        Assert.Equal(0, budget.InUse);
        using var next = await budget.AcquireAsync(1_000_000, Ct);
        Assert.Equal(1_000_000, budget.InUse);
    }
}
