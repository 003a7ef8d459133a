using System.Net.Http.Json;

namespace Kivi.Client.Tests;

/// <summary>SDK clients against the shared real server, and a deadline-bound wait instead of sleeps.</summary>
internal static class Server
{
    public static KiviClientOptions Options(KiviServerFixture server, string? token = null) => new()
    {
        Url = server.BaseAddress,
        Token = token ?? KiviServerFixture.Token,
        AccountId = KiviServerFixture.AccountId,
    };

    public static KiviClient Client(KiviServerFixture server, string? token = null) => new(Options(server, token));

    /// <summary>Issues a scoped token (read, write, admin) for the given namespaces.</summary>
    public static async Task<string> TokenAsync(KiviServerFixture server, string permission, params string[] namespaces)
    {
        using var response = await server.Client.PostAsync($"/client/v4/accounts/{KiviServerFixture.AccountId}/tokens",
            KiviServerFixture.Json(new { name = "t" + Guid.NewGuid().ToString("N")[..8], permission, namespaces }));
        var body = await Api.ReadAsync(response);
        Assert.True(body.Success, body.Raw);
        return body.Result.GetProperty("value").GetString()!;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (then fails with <paramref name="what"/>).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {seconds} s: {what}");
            await Task.Delay(20);
        }
    }
}
