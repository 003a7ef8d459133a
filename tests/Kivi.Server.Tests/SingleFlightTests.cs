using Kivi.Server.Edge;

namespace Kivi.Server.Tests;

/// <summary>An edge's lookups (tokens, namespaces, accounts): a burst of callers costs the upstream one question.</summary>
public sealed class SingleFlightTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Callers_asking_while_a_lookup_is_under_way_share_its_answer_and_a_later_caller_asks_again()
    {
        var flight = new SingleFlight<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int asked = 0;
        async Task<string> LookUp()
        {
            Interlocked.Increment(ref asked);
            await gate.Task;
            return "answer";
        }
        var callers = Enumerable.Range(0, 100).Select(_ => flight.RunAsync("token", LookUp, Ct)).ToList();
        using var leaving = new CancellationTokenSource();
        var impatient = flight.RunAsync("token", LookUp, leaving.Token);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient); // it stops waiting; the others' lookup goes on
        gate.SetResult();
        Assert.All(await Task.WhenAll(callers), a => Assert.Equal("answer", a));
        Assert.Equal(1, asked);

        Assert.Equal("answer", await flight.RunAsync("token", LookUp, Ct)); // after the answer, a new question
        Assert.Equal(2, asked);
    }

    [Fact]
    public async Task A_failed_lookup_fails_every_caller_waiting_on_it_and_the_next_caller_asks_again()
    {
        var flight = new SingleFlight<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int asked = 0;
        async Task<int> Fail()
        {
            Interlocked.Increment(ref asked);
            await gate.Task;
            throw new TimeoutException("upstream down");
        }
        var callers = Enumerable.Range(0, 10).Select(_ => flight.RunAsync("ns", Fail, Ct)).ToList();
        gate.SetResult();
        foreach (var c in callers) await Assert.ThrowsAsync<TimeoutException>(() => c);
        Assert.Equal(1, asked);
        Assert.Equal(7, await flight.RunAsync("ns", () => Task.FromResult(7), Ct));
    }
}
