using System.CommandLine;
using System.Text.Json.Nodes;

namespace Kivi.Cli;

/// <summary><c>kivi namespace create|list|get|rename|delete</c>.</summary>
internal static class NamespaceCommands
{
    public static Command Build(Globals g)
    {
        var title = new Argument<string>("title") { Description = "Namespace title (unique in the account)" };
        var ns = new Argument<string>("namespace") { Description = "Namespace id or title" };
        var newTitle = new Argument<string>("new-title") { Description = "The new title" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not ask for confirmation" };

        var create = new Command("create", "Create a namespace; prints its id") { title };
        g.Action(create, async (r, ct) =>
        {
            using var api = g.Api(r);
            var created = KiviApi.ToNamespace(await api.SendJsonAsync(HttpMethod.Post, await api.NamespacesPathAsync(ct), new JsonObject { ["title"] = r.GetValue(title) }, ct));
            Print(g.Output(r), created, idOnly: true);
            return ExitCodes.Ok;
        });

        var list = new Command("list", "List namespaces by title");
        g.Action(list, async (r, ct) =>
        {
            using var api = g.Api(r);
            var all = await api.ListNamespacesAsync(ct);
            var output = g.Output(r);
            if (output.Json) output.WriteJson(new JsonArray(all.Select(n => (JsonNode)ToJson(n)).ToArray()));
            else output.Table(["ID", "TITLE"], all.Select(n => new[] { n.Id, n.Title }));
            return ExitCodes.Ok;
        });

        var get = new Command("get", "Show one namespace") { ns };
        g.Action(get, async (r, ct) =>
        {
            using var api = g.Api(r);
            Print(g.Output(r), await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct), idOnly: false);
            return ExitCodes.Ok;
        });

        var rename = new Command("rename", "Change a namespace's title") { ns, newTitle };
        g.Action(rename, async (r, ct) =>
        {
            using var api = g.Api(r);
            var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
            var renamed = KiviApi.ToNamespace(await api.SendJsonAsync(HttpMethod.Put, $"{await api.NamespacesPathAsync(ct)}/{target.Id}", new JsonObject { ["title"] = r.GetValue(newTitle) }, ct));
            Print(g.Output(r), renamed, idOnly: false);
            return ExitCodes.Ok;
        });

        var delete = new Command("delete", "Delete a namespace and every key in it") { ns, force };
        g.Action(delete, async (r, ct) =>
        {
            using var api = g.Api(r);
            var target = await api.ResolveNamespaceAsync(r.GetValue(ns)!, ct);
            if (!Confirm(g.Console, r.GetValue(force), $"Delete namespace \"{target.Title}\" ({target.Id}) and every key in it?")) return ExitCodes.Usage;
            await api.SendJsonAsync(HttpMethod.Delete, $"{await api.NamespacesPathAsync(ct)}/{target.Id}", null, ct);
            g.Output(r).Note($"Deleted namespace \"{target.Title}\" ({target.Id}).");
            return ExitCodes.Ok;
        });

        return new Command("namespace", "Create, list, show, rename and delete namespaces") { create, list, get, rename, delete };
    }

    /// <summary>Asks on a terminal unless forced; a script (no terminal) is never asked.</summary>
    public static bool Confirm(CliConsole console, bool force, string question)
    {
        if (force || !console.InIsTerminal || !console.ErrorIsTerminal) return true;
        bool yes = Spectre.Console.AnsiConsoleExtensions.Confirm(console.ErrorConsole(), question, defaultValue: false);
        if (!yes) console.Error.WriteLine("Nothing was changed.");
        return yes;
    }

    private static JsonObject ToJson(NamespaceInfo n) => new() { ["id"] = n.Id, ["title"] = n.Title };

    private static void Print(Output output, NamespaceInfo n, bool idOnly)
    {
        if (output.Json) output.WriteJson(ToJson(n));
        else if (idOnly && !output.Console.OutIsTerminal) output.Line(n.Id); // `id=$(kivi namespace create x)`
        else output.Table(["ID", "TITLE"], [[n.Id, n.Title]]);
    }
}
