using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Dashboard;

/// <summary>
/// The dashboard at <c>/dashboard</c>: Razor Pages rendered on the server, signed in with a token once and then an
/// HttpOnly, SameSite=Strict cookie (the token inside it encrypted by ASP.NET Core's data protection, keys kept in
/// the data folder), anti-forgery on every form, and a Content-Security-Policy that allows nothing from elsewhere.
/// </summary>
internal static class DashboardSetup
{
    public const string Scheme = "KiviDashboard", Root = "/dashboard";
    public const string TokenClaim = "kivi:token", PermissionClaim = "kivi:permission", AccountClaim = "kivi:account";

    /// <summary>The keys UseAuthentication and UseAuthorization write into the builder's properties (ASP.NET Core's, not public constants).</summary>
    private const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet", AuthorizationMiddlewareSetKey = "__AuthorizationMiddlewareSet";

    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void Add(WebApplicationBuilder builder, KiviOptions options)
    {
        var services = builder.Services;
        services.AddDataProtection().SetApplicationName("kivi-dashboard").PersistKeysToFileSystem(KeyFolder(options));
        services.AddAuthentication(Scheme).AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "kivi_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = Root;
            o.LoginPath = Root + "/signin";
            o.AccessDeniedPath = Root + "/signin";
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
        });
        services.AddAuthorization();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "kivi_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Path = Root;
            o.FormFieldName = "__kivi_form";
            o.HeaderName = "X-Kivi-Form"; // the import's script sends each batch with the page's token in this header
        });
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Dashboard/Pages";
            o.Conventions.AuthorizeFolder("/", "dashboard");
            o.Conventions.AllowAnonymousToPage("/SignIn");
        }).AddApplicationPart(typeof(DashboardSetup).Assembly); // the pages are Kivi.Server's, whoever hosts it (the CLI, a test)
        services.AddAuthorizationBuilder().AddPolicy("dashboard", p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        services.AddSingleton<DashboardApi>();
    }

    /// <summary>The session cookies' keys: in the data folder, readable by the node's user only, so sessions outlive a restart.</summary>
    private static DirectoryInfo KeyFolder(KiviOptions options)
    {
        string path = Path.Combine(Path.GetFullPath(options.Data), "dashboard-keys");
        return OperatingSystem.IsWindows() ? Directory.CreateDirectory(path)
            : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static void Map(WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments(Root), dashboard =>
        {
            dashboard.Use((context, next) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = Policy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // The server's time to build the page (its API calls included), for the browser's network panel and the benchmark.
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                context.Response.OnStarting(() =>
                {
                    headers["Server-Timing"] = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"render;dur={System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.###}");
                    return Task.CompletedTask;
                });
                return next(context);
            });
            dashboard.UseAuthentication();
            dashboard.UseAuthorization();
        });
        // WebApplication adds UseAuthentication and UseAuthorization to the whole pipeline when authentication services are
        // registered, unless these marks (which those calls leave) are on the root builder; a UseWhen branch's marks stay in
        // the branch. Marked here, so only the dashboard's requests pay for its cookies: the API, its hot reads included, never does.
        ((IApplicationBuilder)app).Properties[AuthenticationMiddlewareSetKey] = true;
        ((IApplicationBuilder)app).Properties[AuthorizationMiddlewareSetKey] = true;
        app.MapGet("/", () => Results.Redirect(Root)).ExcludeFromDescription();
        app.MapGet(Root + "/app.css", () => Results.Text(DashboardAssets.Css, "text/css")).ExcludeFromDescription();
        app.MapGet(Root + "/app.js", () => Results.Text(DashboardAssets.Script, "text/javascript")).ExcludeFromDescription();
        app.MapRazorPages();
        app.MapGet(Root + "/ns/{id}/watch/stream", WatchStreamAsync).RequireAuthorization("dashboard").ExcludeFromDescription();
        app.MapGet(Root + "/ns/{id}/export", ExportAsync).RequireAuthorization("dashboard").ExcludeFromDescription();
        app.MapGet(Root + "/ns/{id}/download", DownloadAsync).RequireAuthorization("dashboard").ExcludeFromDescription();
    }

    /// <summary>One value, as the bytes it is, as a download.</summary>
    private static Task DownloadAsync(HttpContext context, DashboardApi api, string id, string key) =>
        PassThroughAsync(context, api, $"{Namespaces(context)}/{Uri.EscapeDataString(id)}/values/{Uri.EscapeDataString(key)}", "application/octet-stream",
            string.Concat(key.Split('/')[^1].Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')) is { Length: > 0 } name ? name : "value");

    /// <summary>The namespace's watch, passed through as server-sent events for the page's EventSource (the token stays on the server).</summary>
    private static Task WatchStreamAsync(HttpContext context, DashboardApi api, string id) =>
        PassThroughAsync(context, api, $"{Namespaces(context)}/{Uri.EscapeDataString(id)}/changes{Prefix(context)}", "text/event-stream", null);

    /// <summary>The namespace (or a prefix of it) as an NDJSON download, streamed.</summary>
    private static Task ExportAsync(HttpContext context, DashboardApi api, string id) =>
        PassThroughAsync(context, api, $"{Namespaces(context)}/{Uri.EscapeDataString(id)}/export{Prefix(context)}", "application/x-ndjson", $"{id}.ndjson");

    private static string Namespaces(HttpContext context) =>
        $"accounts/{Uri.EscapeDataString(context.User.FindFirst(AccountClaim)?.Value ?? "")}/storage/kv/namespaces";

    private static string Prefix(HttpContext context) =>
        context.Request.Query["prefix"].ToString() is { Length: > 0 } prefix ? "?prefix=" + Uri.EscapeDataString(prefix) : "";

    private static async Task PassThroughAsync(HttpContext context, DashboardApi api, string path, string accept, string? download)
    {
        string token = context.User.FindFirst(TokenClaim)?.Value ?? "";
        using var upstream = await api.OpenAsync(token, path, accept, context.RequestAborted);
        context.Response.StatusCode = (int)upstream.StatusCode;
        context.Response.ContentType = upstream.Content.Headers.ContentType?.ToString() ?? accept;
        if (download is not null && upstream.IsSuccessStatusCode) context.Response.Headers.ContentDisposition = $"attachment; filename=\"{download}\"";
        context.Response.Headers.CacheControl = "no-store";
        await using var body = await upstream.Content.ReadAsStreamAsync(context.RequestAborted);
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted); // a watch's line reaches the page as it comes
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    public static ClaimsPrincipal Principal(string token, string tokenName, string permission, string accountId) =>
        new(new ClaimsIdentity(
        [
            new Claim(TokenClaim, token), new Claim(ClaimTypes.Name, tokenName), new Claim(PermissionClaim, permission), new Claim(AccountClaim, accountId),
        ], Scheme));
}
