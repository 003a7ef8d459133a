using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kivi.Cli;

/// <summary>Where a command connects and as whom, and where each setting came from (shown by <c>kivi profile show</c>).</summary>
internal sealed record Connection(Uri Url, string? Token, string? AccountId, string UrlSource, string TokenSource)
{
    public const string DefaultUrl = "http://127.0.0.1:8787";

    /// <summary>Local data folders whose admin token a loopback server is assumed to use: what `kivi serve` and `kivi cluster up` create.</summary>
    private static readonly string[] LocalDataFolders = [".kivi", ".kivi-cluster"];

    /// <summary>
    /// Flags win, then KIVI_URL / KIVI_TOKEN / KIVI_ACCOUNT_ID, then the profile (--profile, KIVI_PROFILE or
    /// "default"), then for a server on this machine the admin token in a local data folder.
    /// </summary>
    public static Connection Resolve(CliConsole console, string? url, string? token, string? accountId, string? profileName)
    {
        profileName ??= console.Environment("KIVI_PROFILE");
        var profiles = ProfileStore.Open(console);
        Profile? profile = null;
        if (profileName is not null && !profiles.TryGet(profileName, out profile))
            throw new CliException(ExitCodes.Usage, $"There is no profile \"{profileName}\" in {profiles.Path}.", "List them with `kivi profile list`; add one with `kivi profile set NAME --url URL --token TOKEN`.");
        if (profileName is null && profiles.TryGet("default", out var fallback))
        {
            profile = fallback;
            profileName = "default";
        }

        var (rawUrl, urlSource) = First(
            (url, "--url"), (console.Environment("KIVI_URL"), "KIVI_URL"), (profile?.Url, $"profile {profileName}"), (DefaultUrl, "default"));
        if (!Uri.TryCreate(rawUrl, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            throw new CliException(ExitCodes.Usage, $"The server URL \"{rawUrl}\" (from {urlSource}) is not an http(s) URL.", "Pass e.g. --url http://127.0.0.1:8787.");
        var (resolvedToken, tokenSource) = First(
            (token, "--token"), (console.Environment("KIVI_TOKEN"), "KIVI_TOKEN"), (profile?.Token, $"profile {profileName}"));
        if (resolvedToken is null && IsLoopback(parsed) && FindLocalAdminToken(console) is { } local)
            (resolvedToken, tokenSource) = (local.Token, local.Path);
        string? account = accountId ?? console.Environment("KIVI_ACCOUNT_ID") ?? profile?.AccountId;
        return new Connection(parsed, resolvedToken, string.IsNullOrEmpty(account) ? null : account, urlSource!, tokenSource ?? "none");
    }

    public string RequireToken() => Token ?? throw new CliException(ExitCodes.Denied,
        $"No token for {Url}.",
        "Pass --token, set KIVI_TOKEN, or add a profile (`kivi profile set default --url URL --token TOKEN`). A server on this machine started with `kivi serve` writes its admin token to .kivi/admin-token, which kivi finds when run from the same folder.");

    private static (string? Value, string? Source) First(params (string? Value, string Source)[] candidates)
    {
        foreach (var (value, source) in candidates)
            if (!string.IsNullOrEmpty(value)) return (value, source);
        return (null, null);
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>The admin token of a local data folder: KIVI_DATA's, else ./.kivi's or ./.kivi-cluster's. Never sent to another machine.</summary>
    private static (string Token, string Path)? FindLocalAdminToken(CliConsole console)
    {
        var folders = console.Environment("KIVI_DATA") is { Length: > 0 } data ? [data] : LocalDataFolders;
        foreach (var folder in folders)
        {
            string path = Path.Combine(console.FullPath(folder), "admin-token");
            if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } token) return (token, path);
        }
        return null;
    }
}

/// <summary>A named set of connection settings.</summary>
internal sealed record Profile(string? Url, string? Token, string? AccountId);

/// <summary>
/// Profiles in a JSON file: KIVI_CONFIG, else $XDG_CONFIG_HOME/kivi/config.json, else ~/.config/kivi/config.json.
/// Written with owner-only permissions, since it holds tokens.
/// </summary>
internal sealed class ProfileStore
{
    private readonly JsonObject _root;

    private ProfileStore(string path, JsonObject root)
    {
        Path = path;
        _root = root;
    }

    public string Path { get; }

    public static ProfileStore Open(CliConsole console)
    {
        string path = console.Environment("KIVI_CONFIG") is { Length: > 0 } configured
            ? console.FullPath(configured)
            : System.IO.Path.Combine(
                console.Environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : System.IO.Path.Combine(console.Environment("HOME") ?? console.WorkingDirectory, ".config"),
                "kivi", "config.json");
        if (!File.Exists(path)) return new ProfileStore(path, new JsonObject { ["profiles"] = new JsonObject() });
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("the file is not a JSON object");
            if (root["profiles"] is not JsonObject) root["profiles"] = new JsonObject();
            return new ProfileStore(path, root);
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.BadInput, $"The config file {path} is not valid JSON: {e.Message}", "Fix or delete it; `kivi profile set` writes a fresh one.");
        }
    }

    private JsonObject Profiles => (JsonObject)_root["profiles"]!;

    public IEnumerable<(string Name, Profile Profile)> All() =>
        Profiles.Select(p => (p.Key, ToProfile(p.Value as JsonObject)));

    public bool TryGet(string name, out Profile profile)
    {
        profile = null!;
        if (Profiles[name] is not JsonObject o) return false;
        profile = ToProfile(o);
        return true;
    }

    public void Set(string name, Profile profile)
    {
        var o = Profiles[name] as JsonObject ?? new JsonObject();
        if (profile.Url is not null) o["url"] = profile.Url;
        if (profile.Token is not null) o["token"] = profile.Token;
        if (profile.AccountId is not null) o["account_id"] = profile.AccountId;
        Profiles[name] = o;
        Save();
    }

    public bool Remove(string name)
    {
        bool removed = Profiles.Remove(name);
        if (removed) Save();
        return removed;
    }

    private static Profile ToProfile(JsonObject? o) =>
        new(o?["url"]?.GetValue<string>(), o?["token"]?.GetValue<string>(), o?["account_id"]?.GetValue<string>());

    private void Save()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        string temp = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(temp, System.Text.Encoding.UTF8, options))
            writer.Write(_root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, Path, overwrite: true);
    }
}
