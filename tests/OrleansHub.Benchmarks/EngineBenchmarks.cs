using BenchmarkDotNet.Attributes;
using OrleansHub.Grains.Engine;
using OrleansHub.Grains.Model;

namespace OrleansHub.Benchmarks;

/// <summary>
/// One insertion into a live engine of n synthetic songs (the SPEC §2 steps, linear in n), one
/// at a time and as a batch of 64 (many-vs-many kernel), plus one MP-list refresh round.
/// Setup inserts n songs one by one (seconds for 2,000, about a minute for 10,000); every
/// iteration inserts fresh songs with increasing sequence numbers, so n grows by the iteration
/// count (negligible against n). The replay command measures the same at 100,000 songs.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 8, invocationCount: 64)]
public class EngineBenchmarks
{
    private const int Extra = 4096;
    private CatalogueEngine _engine = null!;
    private IReadOnlyList<SyntheticSong> _songs = [];
    private int _next;
    private long _sequence;

    /// <summary>Catalogue size before the measured insertions (on both sides of the L2/L3 sizes: 2,000 songs = 3.7 MB of rows, 10,000 = 18.6 MB).</summary>
    [Params(2_000, 10_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _songs = SyntheticCatalogue.Generate(N + Extra, 11);
        _engine = new CatalogueEngine();
        _next = 0;
        _sequence = 0;
        for (; _next < N; _next++)
        {
            _engine.Apply(new InsertSong(++_sequence, $"s{_next}", _songs[_next].Model));
        }
    }

    [Benchmark]
    public int InsertOne()
    {
        var i = _next++ % _songs.Count;
        return _engine.Apply(new InsertSong(++_sequence, $"s{_next}", _songs[i].Model)).Count;
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public int InsertBatch64()
    {
        var batch = new InsertSong[64];
        var first = _sequence + 1;
        for (var j = 0; j < batch.Length; j++)
        {
            var i = _next++ % _songs.Count;
            batch[j] = new InsertSong(++_sequence, $"s{_next}", _songs[i].Model);
        }

        return _engine.Apply(new InsertBatch(first, batch)).Count;
    }
}
