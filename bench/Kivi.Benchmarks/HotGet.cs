using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Kivi.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace Kivi.Benchmarks;

/// <summary>
/// A hot read in process: the SDK's <see cref="IKvNamespace.GetBytesAsync"/> (cache warm, fed by a real
/// server's feed) beside ConcurrentDictionary (the floor), MemoryCache and HybridCache holding the same
/// 1,024 keys of 100 bytes. Each operation reads one key; keys are visited in a fixed shuffled order.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes through [GlobalCleanup].")]
public class HotGet
{
    private const int Keys = 1024;
    private const string Token = "bench-admin-token-0123456789";
    private const string Account = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
    private string[] _keys = [];
    private WebApplication? _server;
    private string? _data;
    private KiviClient? _client;
    private IKvNamespace _kv = null!;
    private readonly ConcurrentDictionary<string, byte[]> _dictionary = new();
    private MemoryCache _memory = null!;
    private HybridCache _hybrid = null!;
    private ServiceProvider? _services;
    private static readonly Func<CancellationToken, ValueTask<byte[]>> Never = _ => throw new InvalidOperationException("a miss in a hot-read benchmark");

    public static int Run(string[] args)
    {
        BenchmarkRunner.Run<HotGet>(Config, args);
        return 0;
    }

    /// <summary>In process (the node runs inside), 3 warm-up and 10 measured iterations, allocations counted.</summary>
    internal static IConfig Config { get; } = DefaultConfig.Instance
        .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _data = Directory.CreateTempSubdirectory("kivi-bench-").FullName;
        _server = await global::Kivi.Server.KiviServer.CreateAsync(["--urls", "http://127.0.0.1:0", "--data", _data, "--admin-token", Token, "--account-id", Account]);
        await _server.StartAsync();
        var url = new Uri(_server.Urls.First());
        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var created = await http.PostAsJsonAsync($"/client/v4/accounts/{Account}/storage/kv/namespaces", new { title = "hot" });
        string ns = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("id").GetString()!;

        _client = new KiviClient(new KiviClientOptions { Url = url, Token = Token, AccountId = Account });
        _kv = _client.GetNamespace(ns);
        var services = new ServiceCollection();
        services.AddHybridCache();
        _services = services.BuildServiceProvider();
        _hybrid = _services.GetRequiredService<HybridCache>();
        _memory = new MemoryCache(new MemoryCacheOptions());
        var random = new Random(42);
        _keys = Enumerable.Range(0, Keys).Select(i => $"user:{i:D6}:prefs").OrderBy(_ => random.Next()).ToArray();
        foreach (var key in _keys)
        {
            var value = new byte[100];
            random.NextBytes(value);
            await _kv.PutAsync(key, value);
            await _kv.GetBytesAsync(key);
            _dictionary[key] = value;
            _memory.Set(key, value);
            await _hybrid.SetAsync(key, value);
        }
    }

    private int _next;

    private string NextKey() => _keys[_next++ & (Keys - 1)];

    [Benchmark(Baseline = true)]
    public byte[]? ConcurrentDictionary() => _dictionary.TryGetValue(NextKey(), out var value) ? value : null;

    [Benchmark]
    public byte[]? MemoryCache() => _memory.TryGetValue(NextKey(), out byte[]? value) ? value : null;

    // Both answer a hit synchronously; taking the completed result keeps the harness's await machinery out of the figure.
    [Benchmark]
    public byte[] HybridCache()
    {
        var read = _hybrid.GetOrCreateAsync(NextKey(), Never);
        return read.IsCompletedSuccessfully ? read.Result : throw new InvalidOperationException("not a memory hit");
    }

    [Benchmark]
    public ReadOnlyMemory<byte>? KiviSdk()
    {
        var read = _kv.GetBytesAsync(NextKey());
        return read.IsCompletedSuccessfully ? read.Result : throw new InvalidOperationException("not a memory hit");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        _memory.Dispose();
        if (_services is not null) await _services.DisposeAsync();
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }
        if (_data is not null) Directory.Delete(_data, recursive: true);
    }
}
