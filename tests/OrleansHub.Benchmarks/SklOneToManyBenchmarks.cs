using BenchmarkDotNet.Attributes;
using OrleansHub.Grains.Distance;
using System.Numerics.Tensors;

namespace OrleansHub.Benchmarks;

/// <summary>
/// One query against n packed rows (bandwidth bound for large n), next to a plain memory stream
/// of the same packed array (TensorPrimitives.Sum) so the ratio comes from one run.
/// One operation = one row (pair); GB/s counts 1,856 bytes of packed row per operation.
/// n = 300 rows (557 KB) fits in L2; 10,000 (18.6 MB) and 100,000 (185.6 MB) stream from memory.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
[Config(typeof(SklOneToManyConfig))]
public class SklOneToManyBenchmarks
{
    private const int Small = 300;
    private const int Medium = 10_000;
    private const int Large = 100_000;

    private float[] _query = [];
    private float[] _rowsSmall = [];
    private float[] _rowsMedium = [];
    private float[] _rowsLarge = [];
    private float[] _distances = [];

    [GlobalSetup]
    public void Setup()
    {
        _query = SklBenchmarkSupport.Packed(1, 1, 1, queries: true);
        _rowsLarge = SklBenchmarkSupport.Packed(Large, 512, 2, queries: false);
        _rowsMedium = _rowsLarge.AsSpan(0, Medium * SklPacking.Stride).ToArray();
        _rowsSmall = _rowsLarge.AsSpan(0, Small * SklPacking.Stride).ToArray();
        _distances = new float[Large];
    }

    [Benchmark(OperationsPerInvoke = Small)]
    public void OneToMany_300() => SklKernel.OneToMany(_query, _rowsSmall, _distances);

    [Benchmark(OperationsPerInvoke = Medium)]
    public void OneToMany_10k() => SklKernel.OneToMany(_query, _rowsMedium, _distances);

    [Benchmark(OperationsPerInvoke = Large)]
    public void OneToMany_100k() => SklKernel.OneToMany(_query, _rowsLarge, _distances);

    [Benchmark(OperationsPerInvoke = Small)]
    public float MemoryStream_300() => TensorPrimitives.Sum<float>(_rowsSmall);

    [Benchmark(OperationsPerInvoke = Medium)]
    public float MemoryStream_10k() => TensorPrimitives.Sum<float>(_rowsMedium);

    [Benchmark(OperationsPerInvoke = Large)]
    public float MemoryStream_100k() => TensorPrimitives.Sum<float>(_rowsLarge);
}
