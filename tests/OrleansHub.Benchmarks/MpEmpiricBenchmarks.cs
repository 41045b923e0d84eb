using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using OrleansHub.Grains.Analysis;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Benchmarks;

/// <summary>
/// Exact empiric-MP k-NN lists (k = 5) of a synthetic SKL catalogue, from the distance matrix:
/// the rank matrix (one radix sort per row, both cores) plus the bounded candidate search.
/// One operation is the whole catalogue, so the Mean column is seconds per catalogue. The
/// mp-independent lists from the same rank matrix are measured alongside for scale.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class MpEmpiricBenchmarks
{
    private DistanceMatrix _distances = null!;

    /// <summary>Catalogue size.</summary>
    [Params(5_000, 20_000)]
    public int Songs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var songs = SyntheticCatalogue.Generate(Songs, seed: 1).Select(s => s.Model).ToList();
        _distances = DistanceMatrix.Create(SklMatrix.AllPairs(songs), Songs);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _distances = null!;
        GC.Collect();
    }

    [Benchmark(Description = "mp-empiric k-NN (ranks + search)")]
    public NeighbourLists Empiric() => MutualProximity.Neighbours(_distances, Method.MpEmpiric, 5);

    [Benchmark(Description = "mp-independent k-NN (ranks + selection)")]
    public NeighbourLists Independent() => MutualProximity.Neighbours(_distances, Method.MpIndependent, 5);
}
