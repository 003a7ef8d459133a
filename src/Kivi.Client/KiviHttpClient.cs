namespace Kivi.Client;

/// <summary>
/// The typed HttpClient of the SDK (registered by <c>AddKivi</c> with the retry pipeline of
/// <see cref="KiviResilience"/>); the feed uses a second client without it, since a feed is one endless response.
/// </summary>
public sealed class KiviHttpClient(HttpClient http)
{
    public HttpClient Http { get; } = http;
}
