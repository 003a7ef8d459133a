using Kivi.Core.Storage;
using Kivi.Server;

// Exit codes (docs/operations.md): 0 stopped normally, 1 an unexpected failure, 2 a setting is wrong, 3 the store is damaged.
try
{
    if (args is ["cluster", .. var clusterArgs]) return await LocalCluster.RunAsync(clusterArgs);
    await using var app = await KiviServer.CreateAsync(args);
    await app.RunAsync();
    return 0;
}
catch (KiviOptionsException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 2;
}
catch (StoreDamagedException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 3;
}
