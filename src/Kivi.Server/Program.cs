using Kivi.Server;

await using var app = await KiviServer.CreateAsync(args);
await app.RunAsync();
