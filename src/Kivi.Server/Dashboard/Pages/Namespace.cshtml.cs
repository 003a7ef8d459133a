using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>
/// A namespace's keys, 50 a page with Load More by cursor and a prefix search, with a preview of each value (one bulk
/// get a page) or, given metadata fields, those fields as columns without fetching a value: a feature-flag inventory.
/// </summary>
internal sealed class NamespaceModel(DashboardApi api) : DashboardPage(api)
{
    public const int PageSize = 50;

    public sealed record KeyRow(string Name, string? Preview, JsonNode? MetadataNode, long? Expiration)
    {
        public string Metadata => MetadataNode?.ToJsonString() ?? "";
        public string Expires => Expiration is { } e ? UtcText(e) : "never";
        public string Field(string name) => MetadataNode is JsonObject o && o.TryGetPropertyValue(name, out var v) ? v?.ToJsonString() ?? "null" : "";
    }

    [FromRoute] public string Id { get; set; } = "";
    [FromQuery] public string? Prefix { get; set; }
    [FromQuery(Name = "cursor")] public string? After { get; set; }
    [FromQuery] public string? Fields { get; set; }

    public string Title { get; private set; } = "";
    public List<KeyRow> Keys { get; } = [];
    public string? Cursor { get; private set; }
    public string[] FieldList => (Fields ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public string NextPage => $"/dashboard/ns/{Id}?prefix={Uri.EscapeDataString(Prefix ?? "")}&fields={Uri.EscapeDataString(Fields ?? "")}&cursor={Uri.EscapeDataString(Cursor ?? "")}";

    private string Path => $"{NamespacesPath}/{Uri.EscapeDataString(Id)}";

    public async Task<IActionResult> OnGetAsync()
    {
        var ns = await Api.GetAsync(Token, Path, HttpContext.RequestAborted);
        if (!ns.Ok)
        {
            Error = ns.Error;
            Response.StatusCode = ns.Status;
            return Page();
        }
        Title = ns.Result?["title"]?.GetValue<string>() ?? Id;
        string query = $"?limit={PageSize}" + (string.IsNullOrEmpty(Prefix) ? "" : "&prefix=" + Uri.EscapeDataString(Prefix))
            + (string.IsNullOrEmpty(After) ? "" : "&cursor=" + Uri.EscapeDataString(After));
        var listed = await Api.GetAsync(Token, Path + "/keys" + query, HttpContext.RequestAborted);
        if (!listed.Ok)
        {
            Error = listed.Error;
            Response.StatusCode = listed.Status;
            return Page();
        }
        var names = listed.Result?.AsArray().Select(k => k!).ToList() ?? [];
        var previews = new Dictionary<string, string?>();
        if (FieldList.Length == 0 && names.Count > 0)
        {
            var body = new JsonObject { ["keys"] = new JsonArray(names.Select(n => (JsonNode)n["name"]!.GetValue<string>()).ToArray()) };
            var values = await Api.SendAsync(Token, HttpMethod.Post, Path + "/bulk/get", DashboardApi.Json(body), HttpContext.RequestAborted);
            foreach (var (key, value) in values.Result?["values"]?.AsObject() ?? [])
                previews[key] = value?.GetValue<string>() is { } text ? (text.Length > 80 ? text[..80] + "…" : text) : null;
        }
        foreach (var n in names)
        {
            string name = n["name"]!.GetValue<string>();
            Keys.Add(new KeyRow(name, previews.GetValueOrDefault(name), n["metadata"]?.DeepClone(), n["expiration"]?.GetValue<long>()));
        }
        Cursor = NextCursor(listed);
        return Page();
    }

    private static string? NextCursor(DashboardApi.Answer listed) =>
        listed.ResultInfo?["cursor"]?.GetValue<string>() is { Length: > 0 } cursor ? cursor : null;

    /// <summary>
    /// Deletes every key under the prefix, once the user has typed that prefix again: a page of 1,000 names listed, then
    /// deleted in one bulk delete, until none is left. Keys written under the prefix meanwhile may stay (they are listed).
    /// </summary>
    public async Task<IActionResult> OnPostDeletePrefixAsync(string? confirmPrefix)
    {
        if (string.IsNullOrEmpty(Prefix) || confirmPrefix != Prefix)
        {
            Error = string.IsNullOrEmpty(Prefix)
                ? "Nothing was deleted: search for a prefix first (to delete every key, delete the namespace)."
                : $"Nothing was deleted: type the prefix, \"{Prefix}\", exactly to delete every key under it.";
            Response.StatusCode = 400;
            return await OnGetAsync();
        }
        long deleted = 0;
        for (string? cursor = null; ;)
        {
            var listed = await Api.GetAsync(Token, $"{Path}/keys?limit=1000&prefix={Uri.EscapeDataString(Prefix)}"
                + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), HttpContext.RequestAborted);
            var names = listed.Result?.AsArray().Select(k => (JsonNode)k!["name"]!.GetValue<string>()).ToArray() ?? [];
            var removed = names.Length == 0 ? listed : await Api.SendAsync(Token, HttpMethod.Post, $"{Path}/bulk/delete", DashboardApi.Json(new JsonArray(names)), HttpContext.RequestAborted);
            if (!listed.Ok || !removed.Ok)
            {
                Error = $"Stopped after deleting {deleted:N0} keys under \"{Prefix}\": {(listed.Ok ? removed : listed).Error}";
                Response.StatusCode = (listed.Ok ? removed : listed).Status;
                return await OnGetAsync();
            }
            deleted += names.Length;
            if ((cursor = NextCursor(listed)) is null) break;
        }
        Notice = $"Deleted {deleted:N0} keys under \"{Prefix}\".";
        return Redirect($"/dashboard/ns/{Uri.EscapeDataString(Id)}?prefix={Uri.EscapeDataString(Prefix)}");
    }
}
