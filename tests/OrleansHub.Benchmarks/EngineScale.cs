using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using OrleansHub.Grains.Engine;
using OrleansHub.Grains.Model;

namespace OrleansHub.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/OrleansHub.Benchmarks -- scale N [INSERTS] [BATCH]</c>:
/// insertion cost and memory at catalogue sizes too large to build one song at a time. The engine
/// is seeded with N synthetic songs by the approximate bulk seeder (see
/// <see cref="CatalogueEngine.SeedForScale"/>: real rows and structure sizes, approximate sketches,
/// tails and lists), then INSERTS songs (default 200) are inserted one by one through the real
/// code and timed, and optionally one batch of BATCH songs. Reports p50/p99/max, the time to
/// stream the packed rows once (same run), engine state per song and the process's working set.
/// </summary>
internal static class EngineScale
{
    public static int Run(string[] args)
    {
        var n = int.Parse(args[1], CultureInfo.InvariantCulture);
        var inserts = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        var batch = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 0;
        const ulong Seed = 1;
        const int Chunk = 8192;

        var started = Stopwatch.GetTimestamp();
        var engine = CatalogueEngine.SeedForScale(Chunks(0, n, Seed, Chunk), new EngineOptions(), 2048);
        var seedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var settled = process.WorkingSet64;
        var heap = GC.GetGCMemoryInfo();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {n} songs in {seedSeconds:F0} s; engine state {engine.StateBytes() / (double)n:F0} B/song; after a full compacting GC: managed heap {heap.HeapSizeBytes / (double)n:F0} B/song, committed {heap.TotalCommittedBytes / (double)n:F0} B/song, working set {settled / (double)n:F0} B/song"));

        var extra = SyntheticCatalogue.Generate(n, inserts + batch, Seed, 16);
        var sequence = engine.LastSequence;
        var latencies = new double[inserts];
        for (var i = 0; i < inserts; i++)
        {
            var t = Stopwatch.GetTimestamp();
            engine.Apply(new InsertSong(++sequence, $"scale-{n + i}", extra[i].Model));
            latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        Array.Sort(latencies);
        var stream = new double[5];
        engine.StreamPackedRows();
        for (var i = 0; i < stream.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            engine.StreamPackedRows();
            stream[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        Array.Sort(stream);
        var p50 = latencies[latencies.Length / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one by one at n = {n}: {inserts} insertions, p50 {p50:F1} ms, p99 {latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(0.99 * latencies.Length) - 1)]:F1} ms, max {latencies[^1]:F1} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stream packed rows once: {stream[2]:F1} ms; p50 / stream = {p50 / stream[2]:F2}"));
        if (batch > 0)
        {
            var songs = new List<InsertSong>(batch);
            var first = sequence + 1;
            for (var i = 0; i < batch; i++)
            {
                songs.Add(new InsertSong(++sequence, $"scale-{n + inserts + i}", extra[inserts + i].Model));
            }

            var t = Stopwatch.GetTimestamp();
            engine.Apply(new InsertBatch(first, songs));
            var seconds = Stopwatch.GetElapsedTime(t).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one batch of {batch}: {seconds:F1} s, {batch / seconds:F0} songs/s"));
        }

        process.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"engine state {engine.StateBytes() / (double)engine.Count:F0} B/song; working set {process.WorkingSet64 / (double)engine.Count:F0} B/song; peak {process.PeakWorkingSet64 / (double)engine.Count:F0} B/song (includes seeding scratch and batch blocks)"));
        return 0;
    }

    private static IEnumerable<IReadOnlyList<(string Id, GaussianModel Model)>> Chunks(int start, int count, ulong seed, int chunk)
    {
        var width = Math.Max(1, Environment.ProcessorCount);
        for (var from = start; from < start + count; from += chunk * width)
        {
            var parts = new IReadOnlyList<SyntheticSong>[width];
            var begin = from;
            Parallel.For(0, width, p =>
            {
                var f = begin + (p * chunk);
                parts[p] = SyntheticCatalogue.Generate(f, Math.Clamp(start + count - f, 0, chunk), seed, 16);
            });
            for (var p = 0; p < width; p++)
            {
                var offset = begin + (p * chunk);
                var list = new List<(string, GaussianModel)>(parts[p].Count);
                for (var i = 0; i < parts[p].Count; i++)
                {
                    list.Add(($"scale-{offset + i}", parts[p][i].Model));
                }

                yield return list;
            }
        }
    }
}
