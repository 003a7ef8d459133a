using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kivi.Protocol;

namespace Kivi.Server.Usage;

/// <summary>An edge's reads and lists: cut into a numbered report in the outbox, then sent upstream oldest first until acknowledged.</summary>
internal sealed class EdgeUsageSink(HttpClient upstream, string token, UsageOutbox outbox, TimeSpan timeout, Quotas.EdgeQuotas quotas, Kivi.Caching.KvCache cache) : IUsageSink
{
    public async Task SendAsync(IReadOnlyList<UsageCount> rows, CancellationToken cancellationToken)
    {
        outbox.Cut(rows);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout); // an upstream that hangs delays the next report, never stops it
        cancellationToken = bounded.Token;
        foreach (var report in outbox.Pending.ToArray())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, UsageReport.Path)
            {
                Content = JsonContent.Create(report, KiviProtocolJsonContext.Default.UsageReport),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await upstream.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new HttpRequestException($"The upstream refused usage report {report.Sequence}: {(int)response.StatusCode} {(EnvelopeJson.TryReadError(body, out _, out string message) ? message : body)}");
            }
            outbox.Acknowledged(report);
        }
        // Check in: how this edge is doing, for the store's operators; the answer says which quotas are used up.
        var status = new EdgeCheckIn(outbox.Reporter, upstream.BaseAddress?.ToString(), cache.FeedHealthy, cache.Position, cache.UpstreamHead,
            cache.LagTime.TotalSeconds, cache.Hits, cache.Misses, cache.StaleServed, cache.Resets, cache.Count, cache.Bytes);
        using var asking = new HttpRequestMessage(HttpMethod.Post, EdgeCheckIn.Path) { Content = JsonContent.Create(status, KiviProtocolJsonContext.Default.EdgeCheckIn) };
        asking.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var answer = await upstream.SendAsync(asking, cancellationToken);
        if (!answer.IsSuccessStatusCode) throw new HttpRequestException($"The upstream refused to say which quotas are used up: {(int)answer.StatusCode}");
        string text = await answer.Content.ReadAsStringAsync(cancellationToken);
        using var document = JsonDocument.Parse(text);
        var state = document.RootElement.GetProperty("result").Deserialize(KiviProtocolJsonContext.Default.QuotaState);
        quotas.Set(state?.Exhausted ?? []);
    }
}
