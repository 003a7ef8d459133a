using Microsoft.FeatureManagement;

namespace FeatureFlags;

/// <summary>
/// Flags live in a Kivi namespace as keys <c>flags/{Name}</c> with values <c>true</c> or <c>false</c>,
/// mapped by the configuration provider onto <c>FeatureManagement:{Name}</c>. Flipping
/// <c>flags/Checkout</c> to <c>false</c> (from the CLI, REST or wrangler) is a kill switch: every
/// instance stops serving checkout within the feed's lag, without a deploy or a restart.
/// </summary>
public static class FeatureFlagsApp
{
    public const string Checkout = "Checkout";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var kivi = builder.Configuration.GetSection("Kivi");
        builder.Configuration.AddKivi(kivi["NamespaceId"] ?? "", "flags/", source => source.Section = "FeatureManagement");
        builder.Services.AddFeatureManagement();

        var app = builder.Build();
        app.MapGet("/checkout", async (IFeatureManager features) =>
            await features.IsEnabledAsync(Checkout)
                ? Results.Text("Checkout is open.")
                : Results.Text("Checkout is switched off for now; please try again later.", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/flags", async (IFeatureManager features) =>
        {
            var flags = new Dictionary<string, bool>();
            await foreach (var name in features.GetFeatureNamesAsync()) flags[name] = await features.IsEnabledAsync(name);
            return Results.Json(flags);
        });
        return app;
    }

    public static void Main(string[] args) => Build(args).Run();
}
