using Kivi.Core.Access;
using Kivi.Server.Rest;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>Signs in with a token (checked by the node's own authenticator), and out.</summary>
internal sealed class SignInModel(ICallerAuthenticator tokens, DashboardApi api) : PageModel
{
    public string? Error { get; private set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? LocalRedirect("/dashboard") : Page();

    public async Task<IActionResult> OnPostAsync(string? token)
    {
        token = token?.Trim();
        if (string.IsNullOrEmpty(token) || await tokens.AuthenticateAsync(token, HttpContext.RequestAborted) is not { } caller)
        {
            Error = "That token is not one this node knows.";
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }
        if (caller.Permission is TokenPermission.Replication or TokenPermission.Metrics)
        {
            Error = "A replication or metrics token reads no data through the dashboard: sign in with an account token.";
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }
        string? account = caller.AccountId;
        if (account is null) // the admin token: the first account the store has
        {
            var accounts = await api.GetAsync(token, "accounts", HttpContext.RequestAborted);
            account = accounts.Result?.AsArray().FirstOrDefault()?["id"]?.GetValue<string>() ?? "";
        }
        await HttpContext.SignInAsync(DashboardSetup.Scheme,
            DashboardSetup.Principal(token, caller.TokenName, TokenService.PermissionName(caller.Permission), account));
        return LocalRedirect("/dashboard");
    }

    public async Task<IActionResult> OnPostSignOutAsync()
    {
        await HttpContext.SignOutAsync(DashboardSetup.Scheme);
        return LocalRedirect("/dashboard/signin");
    }
}
