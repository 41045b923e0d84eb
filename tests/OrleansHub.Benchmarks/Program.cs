using BenchmarkDotNet.Running;
using OrleansHub.Benchmarks;

if (args.Length >= 2 && args[0] == "scale")
{
    return EngineScale.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Benchmark entry point.</summary>
public partial class Program;
