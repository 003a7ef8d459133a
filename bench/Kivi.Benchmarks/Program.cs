using Kivi.Benchmarks;

return args switch
{
    ["propagation", .. var rest] => await Propagation.RunAsync(Options.Parse(rest)),
    ["watch-fanout", .. var rest] => await WatchFanout.RunAsync(Options.Parse(rest)),
    ["cold-read", .. var rest] => await ColdRead.RunAsync(Options.Parse(rest)),
    ["cache", .. var rest] => CacheEfficiency.Run(Options.Parse(rest)),
    ["hot-get", .. var rest] => HotGet.Run(rest),
    ["hot-get-parts", .. var rest] => HotGetParts.Run(rest),
    ["engine-put", .. var rest] => await EnginePut.RunAsync(rest),
    ["fuzz", .. var rest] => await Fuzz.RunAsync(Options.Parse(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: Kivi.Benchmarks propagation --origin URL --edges URL,URL,... --token T [--writes 1000]
               Kivi.Benchmarks watch-fanout --origin URL --nodes URL,URL,... --token T [--watchers 10000] [--writes 200]
               Kivi.Benchmarks cold-read   --origin URL --edge URL --token T [--keys 2000]
               Kivi.Benchmarks cache       [--keys 1000000] [--requests 4000000]
               Kivi.Benchmarks hot-get     [BenchmarkDotNet arguments]
               Kivi.Benchmarks fuzz        --origin URL --token ADMIN [--requests 100000] [--seed 1]
        """);
    return 2;
}
