using Kivi.Server;

if (args is ["cluster", .. var clusterArgs]) return await LocalCluster.RunAsync(clusterArgs);

await using var app = await KiviServer.CreateAsync(args);
await app.RunAsync();
return 0;
