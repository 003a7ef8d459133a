using Kivi.Client;
using Kivi.Client.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kivi: <c>services.AddKivi(o => ...).AddNamespace("KV", o => o.NamespaceId = "...")</c>.</summary>
public static class KiviServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Kivi client (options validated when the host starts, a typed HttpClient with retries for
    /// idempotent calls). Namespaces are added on the returned builder and resolved by binding name as
    /// keyed services: <c>[FromKeyedServices("KV")] IKvNamespace kv</c>.
    /// </summary>
    public static IKiviBuilder AddKivi(this IServiceCollection services, Action<KiviClientOptions> configure)
    {
        services.AddOptions<KiviClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KiviClientOptions>, KiviClientOptionsValidator>());
        services.AddHttpClient<KiviHttpClient>(KiviClient.HttpClientName)
            .ConfigureHttpClient((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<KiviClientOptions>>().Value.Url)
            .ConfigurePrimaryHttpMessageHandler(KiviClient.Handler)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan) // held for the app's life; the handler recycles connections itself
            .AddResilienceHandler("kivi", (pipeline, context) =>
                KiviResilience.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<KiviClientOptions>>().Value));
        services.AddHttpClient(KiviClient.FeedHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(KiviClient.Handler)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(sp => new KiviClient(
            sp.GetRequiredService<IOptions<KiviClientOptions>>().Value,
            sp.GetRequiredService<KiviHttpClient>().Http,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(KiviClient.FeedHttpClientName),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            ownsHttp: false));
        return new KiviBuilder(services);
    }

    /// <summary>
    /// Adds <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/> over the namespace
    /// bound as <paramref name="binding"/> (ASP.NET Core session state, output and hybrid caching).
    /// </summary>
    public static IServiceCollection AddKiviDistributedCache(this IServiceCollection services, string binding, Action<KiviDistributedCacheOptions>? configure = null)
    {
        var options = new KiviDistributedCacheOptions();
        configure?.Invoke(options);
        services.AddSingleton(sp => new KiviDistributedCache(sp.GetRequiredKeyedService<IKvNamespace>(binding), options, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<IDistributedCache>(sp => sp.GetRequiredService<KiviDistributedCache>());
        services.AddSingleton<IBufferDistributedCache>(sp => sp.GetRequiredService<KiviDistributedCache>());
        return services;
    }

    private sealed class KiviClientOptionsValidator : IValidateOptions<KiviClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, KiviClientOptions options)
        {
            var problems = options.Problems().ToArray();
            return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}

/// <summary>Adds namespace bindings to a Kivi registration.</summary>
public interface IKiviBuilder
{
    IServiceCollection Services { get; }

    /// <summary>Binds a namespace under <paramref name="binding"/> (a keyed <see cref="IKvNamespace"/> singleton), validated when the host starts.</summary>
    IKiviBuilder AddNamespace(string binding, Action<KvNamespaceOptions> configure);
}

internal sealed class KiviBuilder(IServiceCollection services) : IKiviBuilder
{
    public IServiceCollection Services { get; } = services;

    public IKiviBuilder AddNamespace(string binding, Action<KvNamespaceOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(binding);
        Services.AddOptions<KvNamespaceOptions>(binding).Configure(configure).ValidateOnStart();
        Services.AddSingleton<IValidateOptions<KvNamespaceOptions>>(new NamespaceValidator(binding));
        Services.AddKeyedSingleton<IKvNamespace>(binding, (sp, _) =>
            sp.GetRequiredService<KiviClient>().GetNamespace(sp.GetRequiredService<IOptionsMonitor<KvNamespaceOptions>>().Get(binding), binding));
        return this;
    }

    private sealed class NamespaceValidator(string binding) : IValidateOptions<KvNamespaceOptions>
    {
        public ValidateOptionsResult Validate(string? name, KvNamespaceOptions options)
        {
            if (name != binding) return ValidateOptionsResult.Skip;
            var problems = options.Problems(binding).ToArray();
            return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
