using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process: no generated project to build (it would inherit the repository's build rules), and short runs,
// because the machine is shared. `dotnet run -c Release --project bench/NotificationHub.Benchmarks -- --filter '*'`
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(NotificationHub.Benchmarks.FanOutBenchmarks).Assembly).Run(args, config);
