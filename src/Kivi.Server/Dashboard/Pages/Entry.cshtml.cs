using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>
/// One entry: its value (as text), metadata, expiration and version; edited with a conditional write (If-Match: the
/// version shown), so a change someone made meanwhile is never overwritten unseen; added with If-None-Match: *, so an
/// existing key is overwritten only once the user confirms; deleted after a confirmation.
/// </summary>
// Uploads up to 64 MB reach the API, which refuses a value over its limit in its own words (and stores nothing).
[RequestSizeLimit(64L * 1024 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = 64L * 1024 * 1024)]
internal sealed class EntryModel(DashboardApi api) : DashboardPage(api)
{
    [FromRoute] public string Id { get; set; } = "";
    [FromQuery] public string? Key { get; set; }
    [FromQuery(Name = "new")] public bool IsNew { get; set; }

    public string NamespaceTitle { get; private set; } = "";
    public bool Found { get; private set; }
    public string Value { get; private set; } = "";
    public string Metadata { get; private set; } = "";
    public long? Version { get; private set; }
    public string Expires { get; private set; } = "never";
    public bool ConfirmOverwrite { get; private set; }
    public bool Binary { get; private set; }
    public long Size { get; private set; }
    public string Hex { get; private set; } = "";

    private string Path => $"{NamespacesPath}/{Uri.EscapeDataString(Id)}";

    public async Task<IActionResult> OnGetAsync()
    {
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        var ns = await Api.GetAsync(Token, Path, HttpContext.RequestAborted);
        NamespaceTitle = ns.Result?["title"]?.GetValue<string>() ?? Id;
        if (IsNew || string.IsNullOrEmpty(Key)) { IsNew = true; return; }
        var value = await Api.GetAsync(Token, $"{Path}/values/{Uri.EscapeDataString(Key)}", HttpContext.RequestAborted);
        if (!value.Ok)
        {
            Error = value.Status == 404 ? $"The key \"{Key}\" does not exist (any more)." : value.Error;
            Response.StatusCode = value.Status;
            return;
        }
        Found = true;
        Size = value.Body.Length;
        Binary = !System.Text.Unicode.Utf8.IsValid(value.Body) || value.Body.AsSpan().Contains((byte)0);
        Value = Binary ? "" : Encoding.UTF8.GetString(value.Body);
        if (Binary) Hex = string.Join('\n', value.Body.Take(256).Chunk(16).Select((row, i) => $"{i * 16:x8}  {Convert.ToHexStringLower(row)}"));
        if (value.Headers.TryGetValue("Kivi-Version", out var v)) Version = long.Parse(v, CultureInfo.InvariantCulture);
        if (value.Headers.TryGetValue("Kivi-Expiration", out var e))
            Expires = DateTimeOffset.FromUnixTimeSeconds(long.Parse(e, CultureInfo.InvariantCulture)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        var metadata = await Api.GetAsync(Token, $"{Path}/metadata/{Uri.EscapeDataString(Key)}", HttpContext.RequestAborted);
        Metadata = metadata.Result is { } m ? m.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) : "";
    }

    public async Task<IActionResult> OnPostSaveAsync(string? key, string? value, string? metadata, string? ttl, long? version, bool isNew, bool overwrite, bool keepValue, IFormFile? file)
    {
        Key = key;
        IsNew = isNew;
        using var form = new MultipartFormDataContent();
        if (file is { Length: > 0 })
        {
            // The node's own limits, refused in the API's own words before 25 MiB cross the loopback only to be turned away.
            var limits = await Api.GetAsync(Token, "kivi/limits", HttpContext.RequestAborted);
            long max = limits.Result?["max_value_bytes"]?.GetValue<long>() ?? Kivi.Protocol.KvLimits.WorkersKv.MaxValueBytes;
            if (file.Length > max)
            {
                await LoadAsync();
                Error = $"Not saved: {Kivi.Protocol.KvErrors.ValueTooLarge(file.Length, max).Message}";
                Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return Page();
            }
            form.Add(new StreamContent(file.OpenReadStream()), "value");
        }
        else if (keepValue)
        {
            var current = await Api.GetAsync(Token, $"{Path}/values/{Uri.EscapeDataString(key ?? "")}", HttpContext.RequestAborted);
            form.Add(new ByteArrayContent(current.Body), "value"); // a binary value kept as it is while its metadata or expiry changes (If-Match guards it)
        }
        else form.Add(new StringContent(value ?? ""), "value");
        if (!string.IsNullOrWhiteSpace(metadata)) form.Add(new StringContent(metadata), "metadata");
        string query = string.IsNullOrWhiteSpace(ttl) ? "" : "?expiration_ttl=" + Uri.EscapeDataString(ttl.Trim());
        (string, string)[] condition = isNew ? (overwrite ? [] : [("If-None-Match", "*")]) : version is { } v ? [("If-Match", $"\"{v}\"")] : [];
        var saved = await Api.SendAsync(Token, HttpMethod.Put, $"{Path}/values/{Uri.EscapeDataString(key ?? "")}{query}", form, HttpContext.RequestAborted, condition);
        if (saved.Ok)
        {
            Notice = $"Saved \"{key}\" (version {saved.Headers.GetValueOrDefault("Kivi-Version")}).";
            return Redirect($"/dashboard/ns/{Uri.EscapeDataString(Id)}/entry?key={Uri.EscapeDataString(key ?? "")}");
        }
        await LoadAsync();
        if (saved.Status == 412 && isNew)
        {
            ConfirmOverwrite = true; // the key exists: ask before replacing it
            IsNew = true;
        }
        else if (saved.Status == 412)
            Error = $"Not saved: \"{key}\" was changed by someone else since you opened it (it is now version {Version}). Here it is as it is now; make your change again.";
        else
            Error = $"Not saved: {saved.Error}";
        Value = value ?? "";
        Metadata = metadata ?? "";
        Response.StatusCode = saved.Status == 412 ? 409 : saved.Status;
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? key)
    {
        var deleted = await Api.SendAsync(Token, HttpMethod.Delete, $"{Path}/values/{Uri.EscapeDataString(key ?? "")}", null, HttpContext.RequestAborted);
        if (deleted.Ok)
        {
            Notice = $"Deleted \"{key}\".";
            return Redirect($"/dashboard/ns/{Uri.EscapeDataString(Id)}");
        }
        Key = key;
        await LoadAsync();
        Error = $"Not deleted: {deleted.Error}";
        Response.StatusCode = deleted.Status;
        return Page();
    }
}
