using Microsoft.Extensions.Logging;

namespace Kivi.Server.Edge;

/// <summary>
/// Sends an edge's upstream requests to the first of its upstreams that answers, and stays there. Meant for
/// origins over one PostgreSQL: they serve one dataset with one sequence of versions, so the feed resumes
/// on another from the same version, and the cache's rules (never install an answer older than what it
/// holds) keep readers from going back. A request is moved to the next upstream only when that cannot
/// apply a write twice: the connection could not be made (nothing was sent), or the request is a read.
/// </summary>
internal sealed class UpstreamFailover(IReadOnlyList<Uri> upstreams) : DelegatingHandler
{
    private int _current;

    public ILogger? Logger { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string uri = request.RequestUri!.AbsoluteUri;
        if (upstreams.Count == 1 || !uri.StartsWith(upstreams[0].AbsoluteUri, StringComparison.Ordinal))
            return await base.SendAsync(request, cancellationToken);
        string relative = uri[upstreams[0].AbsoluteUri.Length..];
        int first = Volatile.Read(ref _current);
        for (int tried = 0; ; tried++)
        {
            int index = (first + tried) % upstreams.Count;
            request.RequestUri = new Uri(upstreams[index].AbsoluteUri + relative);
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                if (tried > 0) Volatile.Write(ref _current, index);
                return response;
            }
            catch (HttpRequestException e) when (tried + 1 < upstreams.Count && !cancellationToken.IsCancellationRequested
                && (e.HttpRequestError == HttpRequestError.ConnectionError || request.Method == HttpMethod.Get || request.Method == HttpMethod.Head))
            {
                if (Logger is not null) Log.FailingOver(Logger, upstreams[index], upstreams[(index + 1) % upstreams.Count]);
            }
        }
    }
}
