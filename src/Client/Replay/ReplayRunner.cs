using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrleansHub.Client.Analyze;
using OrleansHub.Contracts;
using OrleansHub.Grains.Engine;
using OrleansHub.Grains.Model;

namespace OrleansHub.Client.Replay;

/// <summary>Settings of <c>orleanshub replay</c>.</summary>
internal sealed record ReplaySettings(
    string? FeaturesPath,
    int? Synthetic,
    ulong Seed,
    EngineOptions Engine,
    int CheckEvery,
    int SampledCheck,
    int Batch,
    string? DumpLists,
    string? Resume,
    string? SaveSnapshot,
    OutputFormat Format);

/// <summary>Latency summary in milliseconds.</summary>
internal sealed record Latency(double P50, double P99, double Max);

/// <summary>Everything a replay reports.</summary>
internal sealed record ReplayResult(
    int Songs,
    int K,
    int Candidates,
    int Quantiles,
    int Tail,
    int Staleness,
    int Batch,
    Latency InsertLatencyMs,
    Latency InsertLatencyAtEndMs,
    int EndWindow,
    double SongsPerSecond,
    double BytesPerSong,
    double PeakWorkingSetBytesPerSong,
    double StreamMs,
    double P50OverStream,
    double GenerationSeconds,
    IReadOnlyList<Checkpoint> Checkpoints,
    SampledCheckpoint? SampledCheck,
    IReadOnlyDictionary<string, int> AlertCounts,
    IReadOnlyList<string> Alerts,
    string? Note);

/// <summary>Inserts a catalogue through the engine, checking it against exact recomputations.</summary>
internal static class ReplayRunner
{
    private const int GenerationChunk = 2048;
    private const int ProgressFrom = 50_000;

    /// <summary>The last this many insertions give the latency "at n" (the catalogue size reached).</summary>
    private const int EndWindow = 1000;

    public static int Run(ReplaySettings settings, TextWriter output, TextWriter error)
    {
        Func<int, IEnumerable<(string Id, GaussianModel Model)>> songs;
        int total;
        var generation = new Stopwatch();
        if (settings.FeaturesPath is { } path)
        {
            FeaturesReadResult read;
            try
            {
                read = FeaturesJsonLines.ReadFile(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {path}: cannot read ({ex.Message}).");
                return 1;
            }

            if (read.Errors.Count > 0)
            {
                foreach (var e in read.Errors.Take(10))
                {
                    error.WriteLine($"error: {path}: {e}");
                }

                return 1;
            }

            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in read.Songs)
            {
                if (!ids.Add(s.Id))
                {
                    error.WriteLine($"error: {path}: duplicate id '{s.Id}'.");
                    return 1;
                }
            }

            total = read.Songs.Count;
            songs = skip => read.Songs.Skip(skip).Select(s => (s.Id, GaussianModel.FromMoments(s.Mean, s.Covariance)));
        }
        else
        {
            total = settings.Synthetic!.Value;
            songs = skip => Synthetic(total, settings.Seed, generation, skip);
        }

        var result = Replay(settings, songs, total, generation, error);
        if (result is null)
        {
            return 1;
        }

        if (settings.Format == OutputFormat.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
        }
        else
        {
            WriteTable(result, output);
        }

        return 0;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Synthetic songs generated in parallel chunks (each song has its own seeded generator, so the result does not depend on chunking).</summary>
    private static IEnumerable<(string Id, GaussianModel Model)> Synthetic(int count, ulong seed, Stopwatch generation, int skip)
    {
        var width = Math.Max(1, Environment.ProcessorCount);
        for (var start = skip; start < count; start += GenerationChunk * width)
        {
            generation.Start();
            var parts = new IReadOnlyList<SyntheticSong>[width];
            var begin = start;
            Parallel.For(0, width, p =>
            {
                var from = begin + (p * GenerationChunk);
                var n = Math.Clamp(count - from, 0, GenerationChunk);
                parts[p] = SyntheticCatalogue.Generate(from, n, seed, 16);
            });
            generation.Stop();
            for (var p = 0; p < width; p++)
            {
                for (var i = 0; i < parts[p].Count; i++)
                {
                    var ordinal = start + (p * GenerationChunk) + i;
                    yield return ($"synthetic-{ordinal.ToString("D7", CultureInfo.InvariantCulture)}", parts[p][i].Model);
                }
            }
        }
    }

    private static ReplayResult? Replay(ReplaySettings settings, Func<int, IEnumerable<(string Id, GaussianModel Model)>> songs, int total, Stopwatch generation, TextWriter error)
    {
        CatalogueEngine engine;
        if (settings.Resume is { } resume)
        {
            try
            {
                using var file = File.OpenRead(resume);
                engine = CatalogueEngine.ReadSnapshot(file, settings.Engine.MaxDegreeOfParallelism);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                error.WriteLine($"error: {resume}: cannot restore ({ex.Message}).");
                return null;
            }
        }
        else
        {
            engine = new CatalogueEngine(settings.Engine);
        }

        var skip = engine.OrdinalCount;
        var latencies = new List<float>(total);
        var checkpoints = new List<Checkpoint>();
        var alertCounts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var alertLines = new List<string>();
        var alertTotal = 0;
        var insertTicks = 0L;
        var sequence = engine.LastSequence;
        var checks = settings.CheckEvery > 0;
        string? note = null;
        if (checks && total > ExactCheck.MaxSongs)
        {
            note = $"exact checks skipped above {ExactCheck.MaxSongs} songs";
            error.WriteLine($"note: {note} (the exact matrices need ~12·n² bytes); use --check-every 0 for scale runs.");
        }

        var batch = new List<InsertSong>(settings.Batch);
        void Record(IReadOnlyList<Alert> alerts)
        {
            foreach (var a in alerts)
            {
                alertTotal++;
                var name = a.GetType().Name;
                alertCounts[name] = alertCounts.GetValueOrDefault(name) + 1;
                if (alertLines.Count < 200)
                {
                    alertLines.Add(a.ToString());
                }
            }
        }

        void Checkpoint()
        {
            if (checks && engine.Count <= ExactCheck.MaxSongs && engine.Count > 1)
            {
                checkpoints.Add(ExactCheck.Run(engine, alertTotal));
            }
        }

        void Flush()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var started = Stopwatch.GetTimestamp();
            var alerts = engine.Apply(new InsertBatch(batch[0].Sequence, batch.ToArray()));
            var elapsed = Stopwatch.GetTimestamp() - started;
            insertTicks += elapsed;
            var each = (float)(Stopwatch.GetElapsedTime(0, elapsed).TotalMilliseconds / batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                latencies.Add(each);
            }

            Record(alerts);
            batch.Clear();
        }

        foreach (var (id, model) in songs(skip))
        {
            sequence++;
            if (settings.Batch > 1)
            {
                batch.Add(new InsertSong(sequence, id, model));
                if (batch.Count == settings.Batch || (checks && (sequence % settings.CheckEvery) == 0))
                {
                    Flush();
                }
            }
            else
            {
                var started = Stopwatch.GetTimestamp();
                var alerts = engine.Apply(new InsertSong(sequence, id, model));
                var elapsed = Stopwatch.GetTimestamp() - started;
                insertTicks += elapsed;
                latencies.Add((float)Stopwatch.GetElapsedTime(0, elapsed).TotalMilliseconds);
                Record(alerts);
            }

            if (checks && sequence % settings.CheckEvery == 0)
            {
                Checkpoint();
            }

            if (total >= ProgressFrom && sequence % (total / 10) == 0)
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress: {sequence} songs, {Stopwatch.GetElapsedTime(0, insertTicks).TotalSeconds:F0} s inserting"));
            }
        }

        Flush();
        if (checks && (checkpoints.Count == 0 || checkpoints[^1].N != engine.Count))
        {
            Checkpoint();
        }

        var window = Math.Min(latencies.Count, EndWindow);
        var endLatencies = latencies.GetRange(latencies.Count - window, window);
        endLatencies.Sort();
        var streamMs = MeasureStream(engine);

        latencies.Sort();
        var latency = latencies.Count == 0
            ? new Latency(0, 0, 0)
            : new Latency(Percentile(latencies, 0.5), Percentile(latencies, 0.99), latencies[^1]);
        var seconds = Stopwatch.GetElapsedTime(0, insertTicks).TotalSeconds;
        var n = Math.Max(1, engine.Count);
        using var process = Process.GetCurrentProcess();
        if (settings.SaveSnapshot is { } save)
        {
            try
            {
                using var file = File.Create(save);
                engine.WriteSnapshot(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {save}: cannot write ({ex.Message}).");
                return null;
            }
        }

        if (settings.DumpLists is { } dump)
        {
            try
            {
                WriteLists(engine, dump);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {dump}: cannot write ({ex.Message}).");
                return null;
            }
        }

        // The peak before the sampled check, whose all-pairs scratch is not the engine's.
        var peakWorkingSet = process.PeakWorkingSet64;
        SampledCheckpoint? sampled = null;
        if (settings.SampledCheck > 0 && engine.Count > 1)
        {
            if (engine.Count >= ProgressFrom)
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress: sampled exact check of {Math.Min(settings.SampledCheck, engine.Count)} songs against {engine.Count} (all pairs)"));
            }

            sampled = ExactCheck.RunSampled(engine, settings.SampledCheck, settings.Seed);
        }

        var o = engine.Options;
        return new ReplayResult(
            engine.Count,
            o.K,
            o.Candidates,
            o.Quantiles,
            o.Tail,
            o.Staleness,
            settings.Batch,
            latency,
            endLatencies.Count == 0 ? new Latency(0, 0, 0) : new Latency(Percentile(endLatencies, 0.5), Percentile(endLatencies, 0.99), endLatencies[^1]),
            window,
            seconds > 0 ? latencies.Count / seconds : 0,
            (double)engine.StateBytes() / n,
            (double)peakWorkingSet / n,
            streamMs,
            streamMs > 0 && endLatencies.Count > 0 ? Percentile(endLatencies, 0.5) / streamMs : 0,
            generation.Elapsed.TotalSeconds,
            checkpoints,
            sampled,
            alertCounts,
            alertLines,
            note);
    }

    /// <summary>Median of 5 timed passes over the packed rows (after one warm-up pass).</summary>
    private static double MeasureStream(CatalogueEngine engine)
    {
        if (engine.Count == 0)
        {
            return 0;
        }

        engine.StreamPackedRows();
        var times = new double[5];
        for (var i = 0; i < times.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            engine.StreamPackedRows();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        return times[2];
    }

    private static double Percentile(List<float> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void WriteLists(CatalogueEngine engine, string path)
    {
        var live = engine.LiveOrdinals();
        var index = new Dictionary<int, int>(live.Length);
        for (var i = 0; i < live.Length; i++)
        {
            index[live[i]] = i;
        }

        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteStartArray("ids");
        foreach (var o in live)
        {
            json.WriteStringValue(engine.IdOf(o));
        }

        json.WriteEndArray();
        foreach (var (name, metric) in new[] { ("skl", Metric.Skl), ("mp", Metric.Mp) })
        {
            json.WriteStartArray(name);
            foreach (var o in live)
            {
                json.WriteStartArray();
                foreach (var t in engine.NeighbourOrdinals(o, metric))
                {
                    json.WriteNumberValue(index[t]);
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteTable(ReplayResult r, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"replay: {r.Songs} songs, k={r.K}, m={r.Candidates}, Q={r.Quantiles}, L={r.Tail}, R={r.Staleness}, batch={r.Batch}"));
        output.WriteLine(string.Create(c, $"insert latency ms: p50 {r.InsertLatencyMs.P50:F3}, p99 {r.InsertLatencyMs.P99:F3}, max {r.InsertLatencyMs.Max:F3}; {r.SongsPerSecond:F0} songs/s"));
        output.WriteLine(string.Create(c, $"last {r.EndWindow} insertions: p50 {r.InsertLatencyAtEndMs.P50:F3}, p99 {r.InsertLatencyAtEndMs.P99:F3}, max {r.InsertLatencyAtEndMs.Max:F3} ms"));
        output.WriteLine(string.Create(c, $"stream packed catalogue once: {r.StreamMs:F3} ms; p50 of the last insertions / stream = {r.P50OverStream:F2}"));
        output.WriteLine(string.Create(c, $"memory: {r.BytesPerSong:F0} B/song engine state, {r.PeakWorkingSetBytesPerSong:F0} B/song peak working set"));
        if (r.GenerationSeconds > 0)
        {
            output.WriteLine(string.Create(c, $"synthetic generation: {r.GenerationSeconds:F1} s"));
        }

        if (r.Note is not null)
        {
            output.WriteLine($"note: {r.Note}");
        }

        if (r.Checkpoints.Count > 0)
        {
            output.WriteLine("      n  skl-identical  near-ties  mp-recall-ind  mp-recall-emp  L1(skl)  L1(ind)  L1(emp)  hubs skl/exact  anti skl/exact  hubs mp/ind/emp  anti mp/ind/emp  consistent  alerts");
            foreach (var p in r.Checkpoints)
            {
                output.WriteLine(string.Create(c, $"{p.N,7}  {p.SklIdentical,13:F4}  {p.SklNearTies,9}  {p.MpRecallIndependent,13:F4}  {p.MpRecallEmpiric,13:F4}  {p.OccurrenceL1Skl,7}  {p.OccurrenceL1MpIndependent,7}  {p.OccurrenceL1MpEmpiric,7}  {p.HubsSkl,6}/{p.HubsSklExact,-7}  {p.AntihubsSkl,6}/{p.AntihubsSklExact,-7}  {p.HubsMp,5}/{p.HubsMpIndependent}/{p.HubsMpEmpiric,-6}  {p.AntihubsMp,5}/{p.AntihubsMpIndependent}/{p.AntihubsMpEmpiric,-6}  {p.IncrementalConsistent,10}  {p.Alerts,6}"));
            }
        }

        if (r.SampledCheck is { } sc)
        {
            output.WriteLine(string.Create(c, $"sampled exact check ({sc.Songs} of {sc.N} songs, {sc.Seconds:F1} s): SKL identical {sc.SklIdentical:F4} (near-ties {sc.SklNearTies}), MP recall vs mp-independent {sc.MpRecallIndependent:F4}"));
        }

        output.WriteLine("alerts: " + (r.AlertCounts.Count == 0 ? "none" : string.Join(", ", r.AlertCounts.Select(kv => $"{kv.Key} {kv.Value}"))));
        foreach (var line in r.Alerts.Take(20))
        {
            output.WriteLine("  " + line);
        }
    }
}
