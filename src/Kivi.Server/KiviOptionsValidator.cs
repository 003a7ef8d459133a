using Kivi.Server.Roles;
using Kivi.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace Kivi.Server;

/// <summary>
/// Checks <see cref="KiviOptions"/> at start, every problem in one answer, each naming its setting as the command
/// line spells it. Registered with the Options pattern (validated on start) and run before anything is built,
/// since the role decides what is built.
/// </summary>
internal sealed class KiviOptionsValidator : IValidateOptions<KiviOptions>
{
    public ValidateOptionsResult Validate(string? name, KiviOptions options)
    {
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Throws <see cref="KiviOptionsException"/> with every problem of <paramref name="options"/>.</summary>
    public static void ThrowIfInvalid(KiviOptions options)
    {
        var problems = Problems(options).ToList();
        if (problems.Count > 0) throw new KiviOptionsException(string.Join(" ", problems));
    }

    private static IEnumerable<string> Problems(KiviOptions o)
    {
        if (!TryRole(o.Role, out var role)) yield return $"--role must be single, origin or edge, not \"{o.Role}\".";
        if (o.IntegrityCheck is not ("quick" or "full" or "off")) yield return $"--integrity-check must be quick, full or off, not \"{o.IntegrityCheck}\".";
        if (o.MinCacheTtl < 1 || o.DefaultCacheTtl < o.MinCacheTtl)
            yield return $"--min-cache-ttl must be at least 1 and --default-cache-ttl at least --min-cache-ttl (got {o.MinCacheTtl} and {o.DefaultCacheTtl}).";
        if (o.LogFormat is not ("simple" or "json")) yield return $"--log-format must be simple or json, not \"{o.LogFormat}\".";
        if (o.UploadMemory < 1024 * 1024) yield return $"--upload-memory must be at least 1048576 bytes (1 MiB), not {o.UploadMemory}.";
        if (o.UsageInterval < TimeSpan.FromMilliseconds(100) || o.UsageInterval > TimeSpan.FromSeconds(10))
            yield return $"--usage-interval must be from 00:00:00.1 to 00:00:10 (edges report at least every 10 s), not {o.UsageInterval}.";
        if (o.NodeName is { Length: > 200 }) yield return "--node-name must be at most 200 characters.";
        if (QuotaProblem(o) is { } quota) yield return quota;
        if (MetricsAllowProblem(o) is { } allow) yield return allow;
        if (o.OtlpEndpoint is { Length: > 0 } otlp && !IsUpstream(otlp)) yield return $"--otlp-endpoint must be the http(s) URL of an OTLP/HTTP collector (http://collector:4318), not \"{otlp}\".";
        if (string.IsNullOrEmpty(o.TlsCert) != string.IsNullOrEmpty(o.TlsKey)) yield return "--tls-cert and --tls-key go together: the PEM certificate and its PEM private key.";
        foreach (var (setting, path) in new[] { ("--tls-cert", o.TlsCert), ("--tls-key", o.TlsKey), ("--upstream-ca", o.UpstreamCa) })
            if (!string.IsNullOrEmpty(path) && !File.Exists(path)) yield return $"{setting} names {path}, which does not exist.";
        if (o.KeyWriteInterval <= TimeSpan.Zero) yield return $"--key-write-interval must be more than zero, not {o.KeyWriteInterval}.";
        if (role != KiviRole.Edge) yield break;
        if (!string.IsNullOrEmpty(o.Quota) || o.KeyWriteLimit)
            yield return "--quota and --key-write-limit are kept by the store: set them on the origin (its edges learn its quotas from it).";
        foreach (string u in UpstreamTexts(o))
            if (!IsUpstream(u)) yield return $"--upstream must be the http(s) URL of the origin or of another edge, or several such URLs separated by commas (got \"{u}\").";
        if (!UpstreamTexts(o).Any())
            yield return "--role edge needs --upstream with the http(s) URL of its origin or of another edge (several, comma-separated, to fail over between origins).";
        if (string.IsNullOrEmpty(o.UpstreamToken))
            yield return "--role edge needs --upstream-token: a replication (or admin) token of the upstream, for its change feed and cache fills.";
    }

    private static string? MetricsAllowProblem(KiviOptions o)
    {
        try
        {
            Telemetry.MetricsAccess.Parse(o.MetricsAllow);
            return null;
        }
        catch (KiviOptionsException e)
        {
            return e.Message;
        }
    }

    private static string? QuotaProblem(KiviOptions o)
    {
        try
        {
            Quotas.QuotaRule.Parse(o.Quota);
            return null;
        }
        catch (KiviOptionsException e)
        {
            return e.Message;
        }
    }

    public static KiviRole Role(KiviOptions options) => TryRole(options.Role, out var role) ? role : throw new KiviOptionsException($"--role must be single, origin or edge, not \"{options.Role}\".");

    private static bool TryRole(string text, out KiviRole role)
    {
        role = text switch { "single" => KiviRole.Single, "origin" => KiviRole.Origin, "edge" => KiviRole.Edge, _ => (KiviRole)(-1) };
        return Enum.IsDefined(role);
    }

    public static IntegrityCheck Integrity(KiviOptions options) => options.IntegrityCheck switch
    {
        "full" => IntegrityCheck.Full,
        "off" => IntegrityCheck.Off,
        _ => IntegrityCheck.Quick,
    };

    /// <summary>The node's name (<see cref="KiviOptions.NodeName"/>): as set, or the host name and the port of its first listening URL.</summary>
    public static string NodeName(KiviOptions options, string? urls)
    {
        if (!string.IsNullOrEmpty(options.NodeName)) return options.NodeName;
        string first = (urls ?? KiviOptions.DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? KiviOptions.DefaultUrl;
        string port = Uri.TryCreate(first.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var url) ? url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
        return $"{Environment.MachineName}-{port}";
    }

    /// <summary>An edge's upstreams, each as a base URL ending in a slash.</summary>
    public static Uri[] Upstreams(KiviOptions options) =>
        UpstreamTexts(options).Select(u => new Uri(new Uri(u).GetLeftPart(UriPartial.Path).TrimEnd('/') + "/")).ToArray();

    private static IEnumerable<string> UpstreamTexts(KiviOptions o) => (o.Upstream ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static bool IsUpstream(string text) => Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https";
}
