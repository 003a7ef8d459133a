using System.CommandLine;
using System.Text.Json.Nodes;

namespace Kivi.Cli;

/// <summary><c>kivi profile</c>: named connection settings in the config file.</summary>
internal static class ProfileCommands
{
    public static Command Build(Globals g)
    {
        var name = new Argument<string>("name") { Description = "Profile name (\"default\" is used when none is chosen)" };
        var set = new Command("set", "Create or update a profile from --url, --token and --account-id") { name };
        g.Action(set, (r, _) =>
        {
            string? url = r.GetValue(g.Url), token = r.GetValue(g.Token), account = r.GetValue(g.AccountId);
            if (url is null && token is null && account is null)
                throw new CliException(ExitCodes.Usage, "Give at least one of --url, --token, --account-id.");
            if (url is not null && !Uri.TryCreate(url, UriKind.Absolute, out Uri? _))
                throw new CliException(ExitCodes.Usage, $"--url \"{url}\" is not an absolute URL.");
            var store = ProfileStore.Open(g.Console);
            store.Set(r.GetValue(name)!, new Profile(url, token, account));
            g.Output(r).Note($"Saved profile \"{r.GetValue(name)}\" to {store.Path}.");
            return Task.FromResult(ExitCodes.Ok);
        });

        var list = new Command("list", "List profiles (tokens are masked)");
        g.Action(list, (r, _) =>
        {
            var output = g.Output(r);
            var profiles = ProfileStore.Open(g.Console).All().ToList();
            if (output.Json)
                output.WriteJson(new JsonArray(profiles.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.Name, ["url"] = p.Profile.Url, ["account_id"] = p.Profile.AccountId, ["token"] = Mask(p.Profile.Token),
                }).ToArray()));
            else output.Table(["NAME", "URL", "ACCOUNT", "TOKEN"], profiles.Select(p => new[] { p.Name, p.Profile.Url, p.Profile.AccountId, Mask(p.Profile.Token) }));
            return Task.FromResult(ExitCodes.Ok);
        });

        var remove = new Command("remove", "Delete a profile") { name };
        g.Action(remove, (r, _) =>
        {
            var store = ProfileStore.Open(g.Console);
            if (!store.Remove(r.GetValue(name)!)) throw new CliException(ExitCodes.NotFound, $"There is no profile \"{r.GetValue(name)}\" in {store.Path}.");
            return Task.FromResult(ExitCodes.Ok);
        });

        var show = new Command("show", "Show the connection a command would use, and where each setting comes from");
        g.Action(show, (r, _) =>
        {
            var c = g.Connect(r);
            var output = g.Output(r);
            if (output.Json)
                output.WriteJson(new JsonObject
                {
                    ["url"] = c.Url.ToString(), ["url_source"] = c.UrlSource, ["token"] = Mask(c.Token), ["token_source"] = c.TokenSource, ["account_id"] = c.AccountId,
                });
            else output.Table(["SETTING", "VALUE", "FROM"], [["url", c.Url.ToString(), c.UrlSource], ["token", Mask(c.Token), c.TokenSource], ["account", c.AccountId ?? "(the token's only account)", ""]]);
            return Task.FromResult(ExitCodes.Ok);
        });
        return new Command("profile", "Named connection settings (KIVI_CONFIG or ~/.config/kivi/config.json)") { set, list, remove, show };
    }

    private static string? Mask(string? token) => token is null ? null : token.Length <= 8 ? "****" : token[..4] + "…" + token[^4..];
}
