using System.CommandLine;
using Kivi.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Kivi.Cli;

/// <summary><c>kivi serve</c> and <c>kivi cluster up</c>: the server itself, hosted in this process or as child processes.</summary>
internal static class ServeCommands
{
    public static Command Serve(Globals g)
    {
        var serve = new Command("serve", """
            Run a Kivi server in this process, with the same options as Kivi.Server (docs/configuration.md):
            --data DIR (default .kivi), --urls URL (default http://127.0.0.1:8787), --role single|origin|edge,
            --admin-token, --account-id, --upstream, --upstream-token, --durable, --cache-bytes, --max-stale, ...
            The admin token is written to DIR/admin-token on first start; kivi finds it there.
            """)
        { TreatUnmatchedTokensAsErrors = false };
        g.Action(serve, async (r, ct) =>
        {
            int exit = await KiviHost.RunAsync(ServerArgs(r, g), g.Console.Error, ct); // until Ctrl-C or SIGTERM; drains the writer
            return exit switch
            {
                KiviHost.BadSetting => ExitCodes.Usage,
                KiviHost.StoreDamaged => ExitCodes.Damaged,
                _ => exit,
            };
        });
        return serve;
    }

    public static Command Cluster(Globals g)
    {
        var edges = new Option<int>("--edges") { Description = "Edges to start beside the origin (0 to 64)", DefaultValueFactory = _ => 2 };
        var up = new Command("up", """
            Start a local origin and N edges as child processes on loopback ports (origin on --port, default 8787,
            edges on the next ports), data and logs in --data (default .kivi-cluster). Other options go to every
            node. Ctrl-C stops them all.
            """)
        { edges };
        up.TreatUnmatchedTokensAsErrors = false;
        g.Action(up, async (r, ct) =>
        {
            int count = r.GetValue(edges);
            if (count is < 0 or > 64) throw new CliException(ExitCodes.Usage, $"--edges must be from 0 to 64, not {count}.");
            string[] args = ["--edges", count.ToString(System.Globalization.CultureInfo.InvariantCulture), .. ServerArgs(r, g)];
            return await KiviHost.RunClusterAsync(args, typeof(KiviCli).Assembly, ["serve"], ct);
        });
        return new Command("cluster", "A local origin with edges, for trying the edge tier") { up };
    }

    public static Command Check(Globals g)
    {
        var data = new Option<string>("--data") { Description = "The data folder of a stopped SQLite node (default .kivi)", DefaultValueFactory = _ => ".kivi" };
        var quick = new Option<bool>("--quick") { Description = "SQLite's quick_check (what a node runs at start) instead of the full integrity_check" };
        var check = new Command("check", """
            Check a SQLite store's file for damage, read-only: SQLite's integrity_check (every page, b-tree and
            index entry). Exit 0 when sound, 9 when damaged (restore from a snapshot into a new data folder).
            Stop the node first, or check a copy: a node refuses to start on a damaged file.
            """)
        { data, quick };
        g.Action(check, (r, ct) =>
        {
            string path = Path.Combine(r.GetValue(data)!, "kivi.db");
            if (!File.Exists(path)) throw new CliException(ExitCodes.NotFound, $"There is no store at {Path.GetFullPath(path)}.", "Pass the node's data folder with --data.");
            var problems = KiviHost.CheckStore(path, r.GetValue(quick));
            if (problems.Count == 0)
            {
                g.Console.Out.WriteLine($"ok: {Path.GetFullPath(path)} is sound");
                return Task.FromResult(ExitCodes.Ok);
            }
            foreach (var problem in problems) g.Console.Error.WriteLine($"damaged: {problem}");
            throw new CliException(ExitCodes.Damaged, $"The store at {Path.GetFullPath(path)} is damaged: {problems.Count} problem(s) found.",
                "Restore from a snapshot into a new data folder (`kivi restore`) or from a backup.");
        });
        return check;
    }

    /// <summary>The tokens meant for the server, with --account-id given back (it is also one of kivi's own options).</summary>
    private static string[] ServerArgs(ParseResult r, Globals g)
    {
        var args = r.UnmatchedTokens.ToList();
        if (r.GetValue(g.AccountId) is { } account) args.AddRange(["--account-id", account]);
        return [.. args];
    }
}
