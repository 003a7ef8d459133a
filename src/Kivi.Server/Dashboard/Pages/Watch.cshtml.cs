using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>Changes to a namespace (or a prefix) as they happen, through the server's watch, without reloading.</summary>
internal sealed class WatchModel(DashboardApi api) : DashboardPage(api)
{
    [FromRoute] public string Id { get; set; } = "";
    [FromQuery] public string? Prefix { get; set; }
    public string Title { get; private set; } = "";

    public async Task OnGetAsync() =>
        Title = (await Api.GetAsync(Token, $"{NamespacesPath}/{Uri.EscapeDataString(Id)}", HttpContext.RequestAborted)).Result?["title"]?.GetValue<string>() ?? Id;
}
