namespace Kivi.Cli;

/// <summary>The exit codes scripts can rely on (docs/cli.md lists them); they never change meaning.</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure: a server error (5xx) or a bug; the message says which.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong: an unknown command or option, a missing or malformed argument.</summary>
    public const int Usage = 2;

    /// <summary>Input was refused: a bad file (nothing was written) or a request the server refused as invalid (4xx).</summary>
    public const int BadInput = 3;

    /// <summary>The namespace or key does not exist.</summary>
    public const int NotFound = 4;

    /// <summary>No token, or the token may not do this (401/403).</summary>
    public const int Denied = 5;

    /// <summary>The server could not be reached, or did not answer in time.</summary>
    public const int Unreachable = 6;

    /// <summary>A conflict: a namespace title or id already taken, a conditional write whose condition failed.</summary>
    public const int Conflict = 7;

    /// <summary>With --continue-on-error: some entries failed (each was reported); the rest were written.</summary>
    public const int Partial = 8;

    /// <summary>kivi check found the store damaged (or kivi serve refused to open it): restore from a snapshot.</summary>
    public const int Damaged = 9;

    /// <summary>Interrupted (Ctrl-C); an import or export can continue with --resume.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure to report to the user: what was wrong, what to do, and the exit code.</summary>
internal sealed class CliException(int exitCode, string message, string? hint = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
    public string? Hint { get; } = hint;
}
