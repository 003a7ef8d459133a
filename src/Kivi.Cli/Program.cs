using Kivi.Cli;

return await KiviCli.RunAsync(args, CliConsole.FromProcess());
