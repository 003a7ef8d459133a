using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>The account's namespaces with their keys and bytes (from the usage counts, never a scan); create, rename, delete.</summary>
internal sealed class IndexModel(DashboardApi api) : DashboardPage(api)
{
    public sealed record Row(string Id, string Title, string? Jurisdiction, long? Keys, long? Bytes);

    public List<Row> Namespaces { get; } = [];

    public async Task OnGetAsync()
    {
        var listed = await Api.GetAsync(Token, NamespacesPath + "?per_page=1000&order=title", HttpContext.RequestAborted);
        if (!listed.Ok)
        {
            Error = listed.Error;
            return;
        }
        var storage = new Dictionary<string, (long Keys, long Bytes)>();
        if (IsAdmin)
        {
            var usage = await Api.GetAsync(Token, $"accounts/{Uri.EscapeDataString(AccountId)}/storage/kv/usage?step=day", HttpContext.RequestAborted);
            foreach (var s in usage.Result?["storage"]?.AsArray() ?? [])
                storage[s!["namespace_id"]!.GetValue<string>()] = (s["keys"]!.GetValue<long>(), s["bytes"]!.GetValue<long>());
        }
        foreach (var n in listed.Result?.AsArray() ?? [])
        {
            string id = n!["id"]!.GetValue<string>();
            bool known = storage.TryGetValue(id, out var s);
            Namespaces.Add(new Row(id, n["title"]!.GetValue<string>(), n["jurisdiction"]?.GetValue<string>(), known ? s.Keys : null, known ? s.Bytes : null));
        }
    }

    public async Task<IActionResult> OnPostCreateAsync(string? title, string? jurisdiction)
    {
        var body = new JsonObject { ["title"] = title };
        if (!string.IsNullOrEmpty(jurisdiction)) body["jurisdiction"] = jurisdiction;
        var created = await Api.SendAsync(Token, HttpMethod.Post, NamespacesPath, DashboardApi.Json(body), HttpContext.RequestAborted);
        return await DoneAsync(created, $"Created namespace \"{title}\".");
    }

    public async Task<IActionResult> OnPostRenameAsync(string id, string? title)
    {
        var renamed = await Api.SendAsync(Token, HttpMethod.Put, $"{NamespacesPath}/{Uri.EscapeDataString(id)}", DashboardApi.Json(new JsonObject { ["title"] = title }), HttpContext.RequestAborted);
        return await DoneAsync(renamed, $"Renamed to \"{title}\".");
    }

    public async Task<IActionResult> OnPostDeleteAsync(string id, string? confirmTitle)
    {
        var current = await Api.GetAsync(Token, $"{NamespacesPath}/{Uri.EscapeDataString(id)}", HttpContext.RequestAborted);
        string? title = current.Result?["title"]?.GetValue<string>();
        if (!current.Ok) return await DoneAsync(current, "");
        if (confirmTitle != title)
        {
            Error = $"Nothing was deleted: type the namespace's title, \"{title}\", exactly to delete it.";
            await OnGetAsync();
            return Page();
        }
        var deleted = await Api.SendAsync(Token, HttpMethod.Delete, $"{NamespacesPath}/{Uri.EscapeDataString(id)}", null, HttpContext.RequestAborted);
        return await DoneAsync(deleted, $"Deleted namespace \"{title}\" and every key in it.");
    }

    private async Task<IActionResult> DoneAsync(DashboardApi.Answer answer, string success)
    {
        if (answer.Ok)
        {
            Notice = success;
            return RedirectToPage();
        }
        Error = answer.Error;
        Response.StatusCode = answer.Status;
        await OnGetAsync();
        return Page();
    }
}
