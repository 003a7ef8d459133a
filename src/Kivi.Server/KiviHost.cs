using System.Reflection;
using Kivi.Core.Storage;
using Kivi.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Kivi.Server;

/// <summary>
/// The server's public hosting API: run a node, run a local cluster, check a stopped node's store. The
/// <c>Kivi.Server</c> program and the CLI (<c>kivi serve</c>, <c>kivi cluster up</c>, <c>kivi check</c>) both
/// start nodes through it, so they share one start-up path and its exit codes.
/// </summary>
public static class KiviHost
{
    /// <summary>Exit codes of a node (docs/operations.md).</summary>
    public const int Stopped = 0, Failed = 1, BadSetting = 2, StoreDamaged = 3;

    /// <summary>
    /// Runs a node until it is asked to stop (Ctrl-C, SIGTERM or <paramref name="cancellationToken"/>), then drains
    /// its writes. A setting that is wrong or a damaged store is reported to <paramref name="errors"/> as one line
    /// and returned as <see cref="BadSetting"/> or <see cref="StoreDamaged"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter errors, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var app = await KiviServer.CreateAsync(args);
            await app.StartAsync(cancellationToken);
            try
            {
                await app.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
            await app.StopAsync(CancellationToken.None); // drains the writer: every acknowledged write is on disk
            return Stopped;
        }
        catch (KiviOptionsException e)
        {
            await errors.WriteLineAsync($"error: {e.Message}");
            return BadSetting;
        }
        catch (StoreDamagedException e)
        {
            await errors.WriteLineAsync($"error: {e.Message}");
            return StoreDamaged;
        }
    }

    /// <summary>
    /// Starts an origin and edges as child processes of <paramref name="program"/> (run with <paramref name="nodeVerb"/>
    /// before each node's arguments) and waits until cancelled; see docs/cli.md (<c>kivi cluster up</c>).
    /// </summary>
    public static Task<int> RunClusterAsync(string[] args, Assembly? program = null, string[]? nodeVerb = null, CancellationToken cancellationToken = default) =>
        LocalCluster.RunAsync(args, program, nodeVerb, cancellationToken);

    /// <summary>Checks a stopped SQLite node's database file, read-only: the problems found (none when sound).</summary>
    public static IReadOnlyList<string> CheckStore(string databasePath, bool quick) =>
        SqliteKvEngine.CheckFile(databasePath, quick ? IntegrityCheck.Quick : IntegrityCheck.Full);
}
