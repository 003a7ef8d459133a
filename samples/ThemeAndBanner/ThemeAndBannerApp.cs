using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Kivi.Client;

namespace ThemeAndBanner;

/// <summary>
/// The product page's demo. Each visitor's theme is stored under <c>theme:{session}</c> for 90 days and
/// read on every page load; the pinned banner (key <c>banner</c>, set by an operator with the CLI, the
/// REST API or wrangler) is read server-side on every render, so it is in the first paint. Both reads
/// are memory lookups once warm: the in-process cache follows the namespace's change feed, so a new
/// banner shows on the next render everywhere, and a visitor sees their own theme change at once.
/// </summary>
public static class ThemeAndBannerApp
{
    private const string SessionCookie = "sid";
    private static readonly TimeSpan ThemeLifetime = TimeSpan.FromDays(90);
    private static readonly string[] Themes = ["light", "dark", "sepia"];

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var kivi = builder.Configuration.GetSection("Kivi");
        builder.Services.AddKivi(o =>
        {
            o.Url = kivi["Url"] is { } url ? new Uri(url) : null;
            o.Token = kivi["Token"];
            o.AccountId = kivi["AccountId"];
        }).AddNamespace("SITE", o => o.NamespaceId = kivi["NamespaceId"]);

        var app = builder.Build();
        app.MapGet("/", async (HttpContext context, [FromKeyedServices("SITE")] IKvNamespace kv) =>
        {
            string session = Session(context);
            string theme = await kv.GetStringAsync($"theme:{session}") ?? "light";
            string? banner = await kv.GetStringAsync("banner");
            var html = HtmlEncoder.Default;
            string bannerHtml = banner is null ? "" : $"""<div id="banner" role="status">{html.Encode(banner)}</div>""";
            return Results.Content($$"""
                <!doctype html>
                <html lang="en" data-theme="{{theme}}">
                <head><meta charset="utf-8"><title>Kivi theme and banner</title>
                <style>[data-theme=dark] body{background:#111;color:#eee} [data-theme=sepia] body{background:#f4ecd8} #banner{padding:.5em;background:#fd0;color:#000}</style></head>
                <body>{{bannerHtml}}
                <h1>Hello</h1>
                <form method="post" action="/theme">
                {{string.Join("", Themes.Select(t => $"""<button name="theme" value="{t}">{t}</button>"""))}}
                </form>
                </body></html>
                """, "text/html; charset=utf-8");
        });
        app.MapPost("/theme", async (HttpContext context, [FromKeyedServices("SITE")] IKvNamespace kv) =>
        {
            var form = await context.Request.ReadFormAsync();
            string? theme = form["theme"];
            if (theme is null || !Themes.Contains(theme)) return Results.BadRequest($"theme must be one of {string.Join(", ", Themes)}");
            await kv.PutAsync($"theme:{Session(context)}", theme, new KvPutOptions { ExpirationTtl = ThemeLifetime });
            return Results.Redirect("/");
        }).DisableAntiforgery();
        return app;
    }

    public static void Main(string[] args) => Build(args).Run();

    /// <summary>The visitor's session id, from its cookie or newly issued.</summary>
    private static string Session(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(SessionCookie, out var id) && id.Length == 32 && id.All(char.IsAsciiHexDigitLower)) return id;
        id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        context.Response.Cookies.Append(SessionCookie, id, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, MaxAge = ThemeLifetime, IsEssential = true });
        return id;
    }
}
