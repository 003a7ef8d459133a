using Kivi.Client.Configuration;

namespace Microsoft.Extensions.Configuration;

/// <summary><c>builder.Configuration.AddKivi(namespaceId, "app/")</c>.</summary>
public static class KiviConfigurationExtensions
{
    /// <summary>
    /// Adds the keys under <paramref name="prefix"/> of a Kivi namespace as configuration, reloaded on
    /// change. The server, token and account come from <paramref name="configure"/> or, unset there, from
    /// the "Kivi" section already configured (Kivi:Url, Kivi:Token, Kivi:AccountId).
    /// </summary>
    public static IConfigurationBuilder AddKivi(this IConfigurationBuilder builder, string namespaceId, string prefix = "", Action<KiviConfigurationSource>? configure = null)
    {
        var source = new KiviConfigurationSource { NamespaceId = namespaceId, Prefix = prefix };
        configure?.Invoke(source);
        return builder.Add(source);
    }
}
