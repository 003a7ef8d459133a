using Kivi.Server;

// Exit codes (docs/operations.md): 0 stopped normally, 1 an unexpected failure, 2 a setting is wrong, 3 the store is damaged.
if (args is ["cluster", .. var clusterArgs]) return await KiviHost.RunClusterAsync(clusterArgs);
return await KiviHost.RunAsync(args, Console.Error);
