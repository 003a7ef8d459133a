using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Kivi.Client;

/// <summary>
/// Retries for the SDK's calls: only idempotent ones (reads, unconditional puts of a body that can be
/// sent again, deletes), only after a failure that may pass (network, timeout, 408, 429, 5xx), with
/// exponential backoff and jitter. The same pipeline serves the DI client and a client built by hand.
/// </summary>
internal static class KiviResilience
{
    private static readonly HttpRequestOptionsKey<bool> NotRetriable = new("Kivi.NotRetriable");

    public static void MarkNotRetriable(HttpRequestMessage request) => request.Options.Set(NotRetriable, true);

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, KiviClientOptions options)
    {
        if (options.MaxRetries == 0) return;
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxRetries,
            Delay = options.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context.GetRequestMessage(), args.Outcome)),
        });
    }

    internal static bool ShouldRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome)
    {
        if (request is null || !IsIdempotent(request)) return false;
        if (outcome.Exception is OperationCanceledException) return false; // the caller's or the call's deadline: not a transient fault
        return HttpClientResiliencePredicates.IsTransient(outcome) || outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests;
    }

    internal static bool IsIdempotent(HttpRequestMessage request)
    {
        if (request.Options.TryGetValue(NotRetriable, out bool not) && not) return false;
        var method = request.Method;
        return method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Put || method == HttpMethod.Delete;
    }
}
