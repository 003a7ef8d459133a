using Kivi.Client;
using Microsoft.Extensions.Configuration;

namespace Kivi.Client.Configuration;

/// <summary>Configuration from the keys under a prefix of a Kivi namespace, reloaded through its watch.</summary>
public sealed class KiviConfigurationSource : IConfigurationSource
{
    /// <summary>The server, token and account; when Url or Token is unset, the builder's "Kivi" section fills them.</summary>
    public KiviClientOptions Client { get; set; } = new();

    public string? NamespaceId { get; set; }

    /// <summary>Only keys under this prefix are read, and the prefix is cut from their paths (default all keys).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>A configuration section the keys are placed under (e.g. "FeatureManagement"); default the root.</summary>
    public string? Section { get; set; }

    /// <summary>Follow the namespace's changes and reload (default true).</summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>Start with no values, rather than fail, when the server cannot be read at start (default false).</summary>
    public bool Optional { get; set; }

    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        if (Client.Url is null || Client.Token is null)
        {
            // The sources added before this one (a ConfigurationManager is already built; a plain builder is built here without this source).
            var earlier = builder as IConfiguration;
            var temporary = earlier is null ? new ConfigurationBuilder() : null;
            if (temporary is not null)
                foreach (var other in builder.Sources.TakeWhile(s => !ReferenceEquals(s, this))) temporary.Add(other);
            var root = earlier ?? temporary!.Build();
            try
            {
                var section = root.GetSection("Kivi");
                if (Client.Url is null && section["Url"] is { } url) Client.Url = new Uri(url);
                Client.Token ??= section["Token"];
                Client.AccountId ??= section["AccountId"];
            }
            finally
            {
                if (temporary is not null) (root as IDisposable)?.Dispose();
            }
        }
        return new KiviConfigurationProvider(this);
    }
}
