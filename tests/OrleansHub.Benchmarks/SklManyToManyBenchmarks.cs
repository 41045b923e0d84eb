using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using OrleansHub.Grains.Distance;

namespace OrleansHub.Benchmarks;

/// <summary>
/// Register- and cache-blocked many-to-many kernel (one operation = one (query,row) pair =
/// 928 flops) next to the measured peak float32 FMA throughput of this machine (one operation =
/// one FMA lane = 2 flops; independent FMA chains held in registers, 1 and 2 threads).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
[Config(typeof(SklManyToManyConfig))]
public class SklManyToManyBenchmarks
{
    private const int Queries = 512;
    private const int Rows = 4096;
    private const int TileQueries = 64;
    private const int TileRows = 256;

    /// <summary>FMA lanes per PeakFma call per thread: 2^28 (16 chains × 16 lanes × 2^20 iterations on AVX-512).</summary>
    private const int PeakLanes = 1 << 28;

    private float[] _queries = [];
    private float[] _rows = [];
    private float[] _distances = [];
    private float _multiplier = 0.5f;
    private float _addend = 1f;

    [GlobalSetup]
    public void Setup()
    {
        _queries = SklBenchmarkSupport.Packed(Queries, 512, 3, queries: true);
        _rows = SklBenchmarkSupport.Packed(Rows, 512, 4, queries: false);
        _distances = new float[Queries * Rows];
        _multiplier = 0.5f;
        _addend = 1f;
    }

    [Benchmark(OperationsPerInvoke = Queries * Rows)]
    public void ManyToMany_512x4096() => SklKernel.ManyToMany(_queries, _rows, _distances);

    /// <summary>64 queries × 256 rows: the whole problem sits in L2 (119 KB + 475 KB).</summary>
    [Benchmark(OperationsPerInvoke = TileQueries * TileRows)]
    public void ManyToMany_64x256() =>
        SklKernel.ManyToMany(_queries.AsSpan(0, TileQueries * SklPacking.Stride), _rows.AsSpan(0, TileRows * SklPacking.Stride), _distances);

    /// <summary>Two threads, each on half of the queries (bit-identical to the single-threaded call).</summary>
    [Benchmark(OperationsPerInvoke = Queries * Rows)]
    public void ManyToMany_512x4096_2Threads()
    {
        const int Half = Queries / 2;
        OnTwoThreads(h => SklKernel.ManyToMany(
            _queries.AsSpan(h * Half * SklPacking.Stride, Half * SklPacking.Stride),
            _rows,
            _distances.AsSpan(h * Half * Rows, Half * Rows)));
    }

    [Benchmark(OperationsPerInvoke = PeakLanes)]
    public float PeakFma_1Thread() => FmaChains(_multiplier, _addend);

    [Benchmark(OperationsPerInvoke = 2 * PeakLanes)]
    public float PeakFma_2Threads()
    {
        var sums = new float[2];
        OnTwoThreads(t => sums[t] = FmaChains(_multiplier, _addend));
        return sums[0] + sums[1];
    }

    /// <summary>
    /// Runs work(0) on the calling thread and work(1) on a dedicated thread at the same time
    /// (Parallel.For may run both halves on the caller when the pool is slow to respond).
    /// Thread start costs tens of microseconds against milliseconds of work per call.
    /// </summary>
    private static void OnTwoThreads(Action<int> work)
    {
        var other = new Thread(() => work(1));
        other.Start();
        work(0);
        other.Join();
    }

    /// <summary>
    /// PeakLanes FMA lanes as 16 independent register chains (Vector512: 16 lanes, Vector256: 8),
    /// enough to cover FMA latency × throughput; a ← a·m + c converges, so no denormals or overflow.
    /// </summary>
    private static float FmaChains(float multiplier, float addend)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(multiplier);
            var c = Vector512.Create(addend);
            Vector512<float> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c;
            Vector512<float> a8 = c, a9 = c, a10 = c, a11 = c, a12 = c, a13 = c, a14 = c, a15 = c;
            for (var i = 0; i < PeakLanes / 256; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, c);
                a1 = Vector512.FusedMultiplyAdd(a1, m, c);
                a2 = Vector512.FusedMultiplyAdd(a2, m, c);
                a3 = Vector512.FusedMultiplyAdd(a3, m, c);
                a4 = Vector512.FusedMultiplyAdd(a4, m, c);
                a5 = Vector512.FusedMultiplyAdd(a5, m, c);
                a6 = Vector512.FusedMultiplyAdd(a6, m, c);
                a7 = Vector512.FusedMultiplyAdd(a7, m, c);
                a8 = Vector512.FusedMultiplyAdd(a8, m, c);
                a9 = Vector512.FusedMultiplyAdd(a9, m, c);
                a10 = Vector512.FusedMultiplyAdd(a10, m, c);
                a11 = Vector512.FusedMultiplyAdd(a11, m, c);
                a12 = Vector512.FusedMultiplyAdd(a12, m, c);
                a13 = Vector512.FusedMultiplyAdd(a13, m, c);
                a14 = Vector512.FusedMultiplyAdd(a14, m, c);
                a15 = Vector512.FusedMultiplyAdd(a15, m, c);
            }

            var s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
            return Vector512.Sum(s);
        }

        var m8 = Vector256.Create(multiplier);
        var c8 = Vector256.Create(addend);
        Vector256<float> b0 = c8, b1 = c8, b2 = c8, b3 = c8, b4 = c8, b5 = c8, b6 = c8, b7 = c8;
        Vector256<float> b8 = c8, b9 = c8, b10 = c8, b11 = c8;
        for (var i = 0; i < PeakLanes / 96; i++)
        {
            b0 = Vector256.FusedMultiplyAdd(b0, m8, c8);
            b1 = Vector256.FusedMultiplyAdd(b1, m8, c8);
            b2 = Vector256.FusedMultiplyAdd(b2, m8, c8);
            b3 = Vector256.FusedMultiplyAdd(b3, m8, c8);
            b4 = Vector256.FusedMultiplyAdd(b4, m8, c8);
            b5 = Vector256.FusedMultiplyAdd(b5, m8, c8);
            b6 = Vector256.FusedMultiplyAdd(b6, m8, c8);
            b7 = Vector256.FusedMultiplyAdd(b7, m8, c8);
            b8 = Vector256.FusedMultiplyAdd(b8, m8, c8);
            b9 = Vector256.FusedMultiplyAdd(b9, m8, c8);
            b10 = Vector256.FusedMultiplyAdd(b10, m8, c8);
            b11 = Vector256.FusedMultiplyAdd(b11, m8, c8);
        }

        return Vector256.Sum(b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11);
    }
}
