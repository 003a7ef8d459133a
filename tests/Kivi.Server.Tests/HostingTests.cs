using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Server.Tests;

/// <summary>How a node is hosted: what it costs besides the requests it serves.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task No_configuration_file_is_watched_since_the_data_folder_sits_inside_the_watched_working_directory()
    {
        await using var node = await KiviServerFixture.StartAsync();
        var configuration = (IConfigurationRoot)node.Services.GetRequiredService<IConfiguration>();
        var files = configuration.Providers.OfType<FileConfigurationProvider>().ToList();
        Assert.NotEmpty(files); // appsettings.json is still read, once
        Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, $"{f.Source.Path} is watched for changes"));
    }
}
