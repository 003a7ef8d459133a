using System.Security.Claims;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kivi.Server.Dashboard;

/// <summary>What every signed-in page has: the user's token (from the encrypted session cookie), its permission and account, and the API.</summary>
internal abstract class DashboardPage(DashboardApi api) : PageModel
{
    protected DashboardApi Api { get; } = api;

    protected string Token => User.FindFirstValue(DashboardSetup.TokenClaim) ?? "";

    public string AccountId => User.FindFirstValue(DashboardSetup.AccountClaim) ?? "";

    public string Permission => User.FindFirstValue(DashboardSetup.PermissionClaim) ?? "read";

    /// <summary>Whether the token may write values; the server refuses anyway when it may not.</summary>
    public bool CanWrite => Permission is "write" or "admin";

    public bool IsAdmin => Permission == "admin";

    /// <summary>A message for the next page (after a redirect), and an error for this one.</summary>
    [Microsoft.AspNetCore.Mvc.TempData]
    public string? Notice { get; set; }

    public string? Error { get; set; }

    /// <summary>A Unix time as the dashboard shows it: <c>2027-01-31 12:00:00 UTC</c>.</summary>
    public static string UtcText(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    protected string NamespacesPath => $"accounts/{Uri.EscapeDataString(AccountId)}/storage/kv/namespaces";
}
