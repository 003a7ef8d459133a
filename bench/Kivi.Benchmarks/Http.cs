using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Kivi.Benchmarks;

/// <summary>The few REST calls the benchmarks make.</summary>
internal static class Http
{
    public static HttpClient Client(string url, string token)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public static async Task<string> NamespaceAsync(HttpClient origin, string title)
    {
        string account = JsonDocument.Parse(await origin.GetStringAsync("client/v4/accounts")).RootElement.GetProperty("result")[0].GetProperty("id").GetString()!;
        using var created = await origin.PostAsync($"client/v4/accounts/{account}/storage/kv/namespaces", new StringContent($$"""{"title":"{{title}}-{{Guid.NewGuid():N}}"}"""));
        string ns = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("id").GetString()!;
        return $"client/v4/accounts/{account}/storage/kv/namespaces/{ns}";
    }

    public static async Task<long> PutAsync(HttpClient node, string path, string value)
    {
        using var response = await node.PutAsync(path, new StringContent(value));
        response.EnsureSuccessStatusCode();
        return long.Parse(response.Headers.GetValues("Kivi-Version").Single(), CultureInfo.InvariantCulture);
    }

    /// <summary>The version a GET returns (0 for a missing key).</summary>
    public static async Task<long> VersionAsync(HttpClient node, string path)
    {
        using var response = await node.GetAsync(path, HttpCompletionOption.ResponseContentRead);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return 0;
        response.EnsureSuccessStatusCode();
        return long.Parse(response.Headers.GetValues("Kivi-Version").Single(), CultureInfo.InvariantCulture);
    }

    public static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
