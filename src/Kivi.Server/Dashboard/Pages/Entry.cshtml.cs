using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Kivi.Server.Dashboard.Pages;

/// <summary>
/// One entry: its value (as text, as JSON or, when binary, as a hex preview), metadata, expiration and version; edited
/// with a conditional write (If-Match: the version shown), so a change someone made meanwhile is never overwritten
/// unseen; added with If-None-Match: *, so an existing key is overwritten only once the user confirms; renamed by a
/// conditional copy then a conditional delete (undone if the key changed meanwhile); deleted after a confirmation.
/// </summary>
// Uploads up to 64 MB reach the API, which refuses a value over its limit in its own words (and stores nothing).
[RequestSizeLimit(64L * 1024 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = 64L * 1024 * 1024)]
internal sealed class EntryModel(DashboardApi api) : DashboardPage(api)
{
    private const string DateInput = "yyyy-MM-dd'T'HH:mm:ss";
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [FromRoute] public string Id { get; set; } = "";
    [FromQuery] public string? Key { get; set; }
    [FromQuery(Name = "new")] public bool IsNew { get; set; }
    /// <summary><c>json</c> shows the value pretty-printed and checks it is JSON before saving; anything else is text.</summary>
    [FromQuery(Name = "as")] public string? Format { get; set; }

    public bool AsJson => Format == "json";
    public string NamespaceTitle { get; private set; } = "";
    public bool Found { get; private set; }
    public string Value { get; private set; } = "";
    public string Metadata { get; private set; } = "";
    public long? Version { get; private set; }
    public string Expires { get; private set; } = "never";
    /// <summary>The expiration as the date input wants it (UTC), so saving keeps it unless the user changes it.</summary>
    public string ExpiresAt { get; private set; } = "";
    /// <summary>The TTL typed, kept when a save is refused.</summary>
    public string Ttl { get; private set; } = "";
    private (string? Ttl, string? ExpiresAt)? _typed;
    public bool ConfirmOverwrite { get; private set; }
    public bool Binary { get; private set; }
    public long Size { get; private set; }
    public string Hex { get; private set; } = "";
    /// <summary>Set when JSON mode was asked for a value that is not JSON: it is shown as text, and why.</summary>
    public string? NotJson { get; private set; }

    private string Path => $"{NamespacesPath}/{Uri.EscapeDataString(Id)}";
    private string ValuePath(string? key) => $"{Path}/values/{Uri.EscapeDataString(key ?? "")}";
    private string EntryUrl(string? key) => $"/dashboard/ns/{Uri.EscapeDataString(Id)}/entry?key={Uri.EscapeDataString(key ?? "")}" + (AsJson ? "&as=json" : "");

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
        var value = await Api.GetAsync(Token, ValuePath(Key), HttpContext.RequestAborted);
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
        else if (AsJson)
        {
            if (JsonError(Value) is { } why) NotJson = $"This value is not JSON ({why}); it is shown as text.";
            else Value = JsonSerializer.Serialize(JsonDocument.Parse(Value).RootElement, Pretty);
        }
        if (value.Headers.TryGetValue("Kivi-Version", out var v)) Version = long.Parse(v, CultureInfo.InvariantCulture);
        if (value.Headers.TryGetValue(Kivi.Protocol.KiviHeaders.Expiration, out var e))
        {
            long at = long.Parse(e, CultureInfo.InvariantCulture);
            Expires = UtcText(at);
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(at).UtcDateTime.ToString(DateInput, CultureInfo.InvariantCulture);
        }
        var metadata = await Api.GetAsync(Token, $"{Path}/metadata/{Uri.EscapeDataString(Key)}", HttpContext.RequestAborted);
        Metadata = metadata.Result is { } m ? m.ToJsonString(Pretty) : "";
    }

    /// <summary>Why <paramref name="text"/> is not one JSON value (with its line and position), or null when it is.</summary>
    private static string? JsonError(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return null;
        }
        catch (JsonException e)
        {
            return $"line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: {e.Message.Split(" LineNumber:")[0].Split(" Path:")[0]}";
        }
    }

    /// <summary>The expiration query for a write: a TTL in seconds, or an absolute UTC date, or none; or why the input is wrong.</summary>
    private static (string Query, string? Problem) ExpirationQuery(string? ttl, string? expiresAt)
    {
        bool hasTtl = !string.IsNullOrWhiteSpace(ttl), hasDate = !string.IsNullOrWhiteSpace(expiresAt);
        if (hasTtl && hasDate) return ("", "give an expiry in seconds or a date, not both (clear one of them).");
        if (hasTtl) return ("?expiration_ttl=" + Uri.EscapeDataString(ttl!.Trim()), null);
        if (!hasDate) return ("", null);
        if (!DateTime.TryParseExact(expiresAt!.Trim(), [DateInput, "yyyy-MM-dd'T'HH:mm"], CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return ("", $"\"{expiresAt}\" is not a date and time (UTC, like 2027-01-31T12:00:00).");
        return ("?expiration=" + new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), null);
    }

    public async Task<IActionResult> OnPostSaveAsync(string? key, string? value, string? metadata, string? ttl, string? expiresAt, long? version,
        bool isNew, bool overwrite, bool keepValue, IFormFile? file)
    {
        Key = key;
        IsNew = isNew;
        _typed = (ttl, expiresAt);
        var (expiration, problem) = ExpirationQuery(ttl, expiresAt);
        if (problem is null && AsJson && file is not { Length: > 0 } && !keepValue && JsonError(value ?? "") is { } why)
            problem = $"the value is not valid JSON ({why}).";
        if (problem is not null) return await RefusedAsync($"Not saved: {problem}", 400, value, metadata);
        using var form = new MultipartFormDataContent();
        if (file is { Length: > 0 })
        {
            // The node's own limits, refused in the API's own words before 25 MiB cross the loopback only to be turned away.
            var limits = await Api.GetAsync(Token, "kivi/limits", HttpContext.RequestAborted);
            long max = limits.Result?["max_value_bytes"]?.GetValue<long>() ?? Kivi.Protocol.KvLimits.WorkersKv.MaxValueBytes;
            if (file.Length > max)
                return await RefusedAsync($"Not saved: {Kivi.Protocol.KvErrors.ValueTooLarge(file.Length, max).Message}", StatusCodes.Status413PayloadTooLarge, null, metadata);
            form.Add(new StreamContent(file.OpenReadStream()), "value");
        }
        else if (keepValue)
        {
            var current = await Api.GetAsync(Token, ValuePath(key), HttpContext.RequestAborted);
            form.Add(new ByteArrayContent(current.Body), "value"); // a binary value kept as it is while its metadata or expiry changes (If-Match guards it)
        }
        else form.Add(new StringContent(value ?? ""), "value");
        if (!string.IsNullOrWhiteSpace(metadata)) form.Add(new StringContent(metadata), "metadata");
        (string, string)[] condition = isNew ? (overwrite ? [] : [("If-None-Match", "*")]) : version is { } v ? [("If-Match", $"\"{v}\"")] : [];
        var saved = await Api.SendAsync(Token, HttpMethod.Put, ValuePath(key) + expiration, form, HttpContext.RequestAborted, condition);
        if (saved.Ok)
        {
            Notice = $"Saved \"{key}\" (version {saved.Headers.GetValueOrDefault("Kivi-Version")}).";
            return Redirect(EntryUrl(key));
        }
        if (saved.Status == 412 && isNew)
        {
            await LoadAsync();
            ConfirmOverwrite = true; // the key exists: ask before replacing it
            IsNew = true;
            (Value, Metadata) = (value ?? "", metadata ?? "");
            Response.StatusCode = 409;
            return Page();
        }
        if (saved.Status == 412)
        {
            await LoadAsync();
            Error = $"Not saved: \"{key}\" was changed by someone else since you opened it (it is now version {Version}). Here it is as it is now; make your change again.";
            Response.StatusCode = 409;
            return Page();
        }
        return await RefusedAsync($"Not saved: {saved.Error}", saved.Status, value, metadata);
    }

    /// <summary>The page again with what the user typed kept, and why nothing was written.</summary>
    private async Task<IActionResult> RefusedAsync(string error, int status, string? value, string? metadata)
    {
        await LoadAsync();
        Error = error;
        if (value is not null) Value = value;
        if (metadata is not null) Metadata = metadata;
        if (_typed is { } typed) (Ttl, ExpiresAt) = (typed.Ttl ?? "", typed.ExpiresAt ?? ""); // what the user typed, not what is stored
        Response.StatusCode = status;
        return Page();
    }

    /// <summary>
    /// Renames a key: writes its value, metadata and expiration under the new name only if that name is free
    /// (If-None-Match: *), then deletes the old name only at the version copied (If-Match). If the key changed in
    /// between, the copy is deleted again (at its own version) and the user is told: a concurrent change is never lost.
    /// </summary>
    public async Task<IActionResult> OnPostRenameAsync(string? key, string? newKey, long? version)
    {
        Key = key;
        if (string.IsNullOrEmpty(newKey) || newKey == key) return await RefusedAsync("Not renamed: type a new name for the key.", 400, null, null);
        var current = await Api.GetAsync(Token, ValuePath(key), HttpContext.RequestAborted);
        long? at = current.Headers.TryGetValue("Kivi-Version", out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : null;
        if (!current.Ok || at != version)
            return await RefusedAsync(current.Ok
                ? $"Not renamed: \"{key}\" was changed by someone else since you opened it (it is now version {at}). Here it is as it is now; rename it again."
                : $"Not renamed: {(current.Status == 404 ? $"\"{key}\" does not exist any more." : current.Error)}", current.Ok ? 409 : current.Status, null, null);
        var metadata = await Api.GetAsync(Token, $"{Path}/metadata/{Uri.EscapeDataString(key!)}", HttpContext.RequestAborted);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(current.Body), "value" } };
        if (metadata.Result is { } m) form.Add(new StringContent(m.ToJsonString()), "metadata");
        string expiration = current.Headers.TryGetValue(Kivi.Protocol.KiviHeaders.Expiration, out var e) ? "?expiration=" + e : "";
        var copied = await Api.SendAsync(Token, HttpMethod.Put, ValuePath(newKey) + expiration, form, HttpContext.RequestAborted, ("If-None-Match", "*"));
        if (!copied.Ok)
            return await RefusedAsync(copied.Status == 412 ? $"Not renamed: a key named \"{newKey}\" already exists." : $"Not renamed: {copied.Error}", copied.Status == 412 ? 409 : copied.Status, null, null);
        var removed = await Api.SendAsync(Token, HttpMethod.Delete, ValuePath(key), null, HttpContext.RequestAborted, ("If-Match", $"\"{version}\""));
        if (removed.Ok)
        {
            Notice = $"Renamed \"{key}\" to \"{newKey}\" (version {copied.Headers.GetValueOrDefault("Kivi-Version")}).";
            return Redirect(EntryUrl(newKey));
        }
        // The old key moved on (or the delete failed): take the copy back, at the version written, so nothing is duplicated or lost.
        var undone = await Api.SendAsync(Token, HttpMethod.Delete, ValuePath(newKey), null, HttpContext.RequestAborted, ("If-Match", $"\"{copied.Headers.GetValueOrDefault("Kivi-Version")}\""));
        string why = removed.Status == 412 ? $"\"{key}\" was changed by someone else while it was being renamed" : removed.Error ?? "the old key could not be deleted";
        return await RefusedAsync(undone.Ok
            ? $"Not renamed: {why}; the copy under \"{newKey}\" was removed again. Here it is as it is now; rename it again."
            : $"Not renamed: {why}, and the copy under \"{newKey}\" could not be removed ({undone.Error}): check both keys.", 409, null, null);
    }

    /// <summary>Deletes the key at the version shown (If-Match): a change made since the page was opened is not deleted unseen.</summary>
    public async Task<IActionResult> OnPostDeleteAsync(string? key, long? version)
    {
        (string, string)[] condition = version is { } v ? [("If-Match", $"\"{v}\"")] : [];
        var deleted = await Api.SendAsync(Token, HttpMethod.Delete, ValuePath(key), null, HttpContext.RequestAborted, condition);
        if (deleted.Ok)
        {
            Notice = $"Deleted \"{key}\".";
            return Redirect($"/dashboard/ns/{Uri.EscapeDataString(Id)}");
        }
        Key = key;
        return await RefusedAsync(deleted.Status == 412
            ? $"Not deleted: \"{key}\" was changed by someone else since you opened it. Here it is as it is now."
            : $"Not deleted: {deleted.Error}", deleted.Status == 412 ? 409 : deleted.Status, null, null);
    }
}
