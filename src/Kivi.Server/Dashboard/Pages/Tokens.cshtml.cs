using System.Text.Json.Nodes;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>An admin's tokens: create (the value shown once), roll, revoke. The server decides which tokens this admin may see and touch.</summary>
internal sealed class TokensModel(DashboardApi api) : DashboardPage(api)
{
    public sealed record Row(string Id, string Name, string Permission, string? Namespaces);

    public List<Row> Tokens { get; } = [];
    public string? NewValue { get; private set; }
    public string? NewName { get; private set; }

    private string Path => $"accounts/{Uri.EscapeDataString(AccountId)}/tokens";

    public async Task OnGetAsync()
    {
        var listed = await Api.GetAsync(Token, Path, HttpContext.RequestAborted);
        if (!listed.Ok)
        {
            Error = listed.Status == 403 ? "Tokens are for account admins." : listed.Error;
            Response.StatusCode = listed.Status;
            return;
        }
        foreach (var t in listed.Result?.AsArray() ?? [])
            Tokens.Add(new Row(t!["id"]!.GetValue<string>(), t["name"]!.GetValue<string>(), t["permission"]!.GetValue<string>(),
                t["namespaces"] is JsonArray ns ? string.Join(", ", ns.Select(n => n!.GetValue<string>())) : null));
    }

    public async Task OnPostCreateAsync(string? name, string? permission, string? namespaces)
    {
        var body = new JsonObject { ["name"] = name, ["permission"] = permission };
        var list = (namespaces ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (list.Length > 0) body["namespaces"] = new JsonArray(list.Select(n => (JsonNode)n).ToArray());
        var created = await Api.SendAsync(Token, HttpMethod.Post, Path, DashboardApi.Json(body), HttpContext.RequestAborted);
        await ShowAsync(created, name);
    }

    public async Task OnPostRollAsync(string id, string? name)
    {
        var rolled = await Api.SendAsync(Token, HttpMethod.Put, $"{Path}/{Uri.EscapeDataString(id)}/value", null, HttpContext.RequestAborted);
        await ShowAsync(rolled, name);
    }

    public async Task OnPostRevokeAsync(string id)
    {
        var revoked = await Api.SendAsync(Token, HttpMethod.Delete, $"{Path}/{Uri.EscapeDataString(id)}", null, HttpContext.RequestAborted);
        await OnGetAsync();
        if (!revoked.Ok) Error = revoked.Error;
    }

    private async Task ShowAsync(DashboardApi.Answer answer, string? name)
    {
        await OnGetAsync();
        if (answer.Ok)
        {
            NewValue = answer.Result?["value"]?.GetValue<string>();
            NewName = name;
        }
        else
        {
            Error = answer.Error;
            Response.StatusCode = answer.Status;
        }
    }
}
