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
            await using var app = await KiviServer.CreateAsync(ServerArgs(r, g));
            await app.StartAsync(ct);
            await app.WaitForShutdownAsync(ct); // Ctrl-C or SIGTERM
            await app.StopAsync(CancellationToken.None); // drains the writer: every acknowledged write is on disk
            return ExitCodes.Ok;
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
            return await LocalCluster.RunAsync(args, typeof(KiviCli).Assembly, ["serve"], ct);
        });
        return new Command("cluster", "A local origin with edges, for trying the edge tier") { up };
    }

    /// <summary>The tokens meant for the server, with --account-id given back (it is also one of kivi's own options).</summary>
    private static string[] ServerArgs(ParseResult r, Globals g)
    {
        var args = r.UnmatchedTokens.ToList();
        if (r.GetValue(g.AccountId) is { } account) args.AddRange(["--account-id", account]);
        return [.. args];
    }
}
