using Kivi.Protocol;
using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>The audit of a namespace or a key: who changed it, when, in which version, with which token (an admin's page).</summary>
internal sealed class HistoryModel(DashboardApi api) : DashboardPage(api)
{
    [FromRoute] public string Id { get; set; } = "";
    [FromQuery] public string? Key { get; set; }
    [FromQuery(Name = "cursor")] public string? After { get; set; }

    public string Title { get; private set; } = "";
    public IReadOnlyList<AuditEvent> Changes { get; private set; } = [];
    public string? Cursor { get; private set; }

    public async Task OnGetAsync()
    {
        string path = $"{NamespacesPath}/{Uri.EscapeDataString(Id)}";
        Title = (await Api.GetAsync(Token, path, HttpContext.RequestAborted)).Result?["title"]?.GetValue<string>() ?? Id;
        if (string.IsNullOrEmpty(Key)) Key = null;
        string query = "?limit=100" + (Key is null ? "" : "&key=" + Uri.EscapeDataString(Key)) + (string.IsNullOrEmpty(After) ? "" : "&cursor=" + Uri.EscapeDataString(After));
        var audit = await Api.GetAsync(Token, path + "/audit" + query, HttpContext.RequestAborted);
        if (!audit.Ok)
        {
            Error = audit.Status == 403 ? "Only an account admin that reaches this namespace sees its history." : audit.Error;
            Response.StatusCode = audit.Status;
            return;
        }
        var answer = System.Text.Json.JsonSerializer.Deserialize(audit.Result!, KiviProtocolJsonContext.Default.AuditAnswer)!;
        Changes = answer.Changes;
        Cursor = answer.Cursor;
    }
}
