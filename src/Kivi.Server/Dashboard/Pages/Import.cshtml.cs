using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>
/// Imports a wrangler bulk JSON file (an array of items) or an NDJSON export (one item a line) into a namespace. The
/// page's script reads the file in the browser, sends it in batches (each one atomic bulk write through the API, with
/// the API's checks and its error texts), and moves a progress bar as each batch is stored.
/// </summary>
[RequestSizeLimit(MaxBatchBytes)]
internal sealed class ImportModel(DashboardApi api) : DashboardPage(api)
{
    /// <summary>A batch's size: the bulk write's own limit on a request body (Cloudflare's 100 MB).</summary>
    public const long MaxBatchBytes = 100L * 1000 * 1000;

    [FromRoute] public string Id { get; set; } = "";

    public string Title { get; private set; } = "";

    private string Path => $"{NamespacesPath}/{Uri.EscapeDataString(Id)}";

    public async Task OnGetAsync()
    {
        var ns = await Api.GetAsync(Token, Path, HttpContext.RequestAborted);
        Title = ns.Result?["title"]?.GetValue<string>() ?? Id;
        if (!ns.Ok)
        {
            Error = ns.Error;
            Response.StatusCode = ns.Status;
        }
        else if (!CanWrite)
        {
            Error = "This token may only read: importing needs a write or admin token.";
            Response.StatusCode = 403;
        }
    }

    /// <summary>One batch (a JSON array of bulk items) written in one atomic bulk write; answers <c>{stored}</c> or <c>{error}</c> with the API's status.</summary>
    public async Task<IActionResult> OnPostBatchAsync()
    {
        using var body = new StreamContent(Request.Body);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var written = await Api.SendAsync(Token, HttpMethod.Put, Path + "/bulk", body, HttpContext.RequestAborted);
        var answer = written.Ok
            ? new JsonObject { ["stored"] = written.Result?["successful_key_count"]?.GetValue<long>() ?? 0 }
            : new JsonObject { ["error"] = written.Error };
        return new ContentResult { Content = answer.ToJsonString(), ContentType = "application/json", StatusCode = written.Ok ? 200 : written.Status };
    }
}
