using OrleansHub.Grains.Analysis;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Engine;

namespace OrleansHub.Client.Replay;

/// <summary>One checkpoint: the live engine against an exact from-scratch recomputation.</summary>
/// <param name="N">Live songs.</param>
/// <param name="SklIdentical">Share of songs whose live SKL list equals the exact one.</param>
/// <param name="SklNearTies">Songs whose SKL list differs but only among equal-distance (float32 tie) entries.</param>
/// <param name="MpRecallIndependent">Tie-tolerant recall of the live MP lists against exact mp-independent.</param>
/// <param name="MpRecallEmpiric">Tie-tolerant recall of the live MP lists against exact mp-empiric.</param>
/// <param name="OccurrenceL1Skl">Σ|O^k live − O^k exact| under SKL.</param>
/// <param name="OccurrenceL1MpIndependent">Σ|O^k live MP − O^k exact mp-independent|.</param>
/// <param name="OccurrenceL1MpEmpiric">Σ|O^k live MP − O^k exact mp-empiric|.</param>
/// <param name="HubsSkl">Live SKL hubs.</param>
/// <param name="HubsSklExact">Exact SKL hubs.</param>
/// <param name="AntihubsSkl">Live SKL anti-hubs.</param>
/// <param name="AntihubsSklExact">Exact SKL anti-hubs.</param>
/// <param name="HubsMp">Live MP hubs.</param>
/// <param name="HubsMpIndependent">Exact mp-independent hubs.</param>
/// <param name="HubsMpEmpiric">Exact mp-empiric hubs.</param>
/// <param name="AntihubsMp">Live MP anti-hubs.</param>
/// <param name="AntihubsMpIndependent">Exact mp-independent anti-hubs.</param>
/// <param name="AntihubsMpEmpiric">Exact mp-empiric anti-hubs.</param>
/// <param name="SkewnessSkl">Live S^k under SKL.</param>
/// <param name="SkewnessMp">Live S^k under MP.</param>
/// <param name="IncrementalConsistent">The engine's incremental measures equal those recomputed from its own lists.</param>
/// <param name="Alerts">Alerts raised so far.</param>
/// <param name="Seconds">Time of the exact check.</param>
internal sealed record Checkpoint(
    int N,
    double SklIdentical,
    int SklNearTies,
    double MpRecallIndependent,
    double MpRecallEmpiric,
    long OccurrenceL1Skl,
    long OccurrenceL1MpIndependent,
    long OccurrenceL1MpEmpiric,
    int HubsSkl,
    int HubsSklExact,
    int AntihubsSkl,
    int AntihubsSklExact,
    int HubsMp,
    int HubsMpIndependent,
    int HubsMpEmpiric,
    int AntihubsMp,
    int AntihubsMpIndependent,
    int AntihubsMpEmpiric,
    double SkewnessSkl,
    double SkewnessMp,
    bool IncrementalConsistent,
    int Alerts,
    double Seconds);

/// <summary>The sampled exact check: the live lists of sampled songs against their exact lists over the whole catalogue.</summary>
/// <param name="N">Live songs.</param>
/// <param name="Songs">Songs sampled.</param>
/// <param name="SklIdentical">Share of sampled songs whose live SKL list equals the exact one.</param>
/// <param name="SklNearTies">Sampled songs whose SKL list differs only among equal-distance entries.</param>
/// <param name="MpRecallIndependent">Tie-tolerant recall of the sampled songs' live MP lists against exact mp-independent.</param>
/// <param name="Seconds">Time of the check.</param>
internal sealed record SampledCheckpoint(int N, int Songs, double SklIdentical, int SklNearTies, double MpRecallIndependent, double Seconds);

/// <summary>Exact from-scratch recomputation of the engine's relations on its own float32 distances.</summary>
internal static class ExactCheck
{
    /// <summary>Above this many live songs the exact checks are skipped (the matrices need ~12·n² bytes).</summary>
    public const int MaxSongs = 20_000;

    /// <summary>
    /// The canonical distance matrix of the live songs (kernel value of the later song's query
    /// against the earlier song's row, exactly as the engine computed each pair), in live order.
    /// </summary>
    public static DistanceMatrix Matrix(CatalogueEngine engine, int[] live)
    {
        var n = live.Length;
        const int stride = SklPacking.Stride;
        var rows = new float[n * stride];
        for (var i = 0; i < n; i++)
        {
            engine.CopyRow(live[i], rows.AsSpan(i * stride, stride));
        }

        var values = new double[(long)n * n];
        Parallel.For(0, n, () => (new float[stride], new float[n]), (i, _, scratch) =>
        {
            var (query, row) = scratch;
            SklPacking.QueryFromRow<float>(rows.AsSpan(i * stride, stride), query);
            SklKernel.OneToMany(query, rows.AsSpan(0, i * stride), row);
            for (var j = 0; j < i; j++)
            {
                values[((long)i * n) + j] = row[j];
                values[((long)j * n) + i] = row[j];
            }

            return scratch;
        }, _ => { });
        return DistanceMatrix.Create(values, n);
    }

    public static Checkpoint Run(CatalogueEngine engine, int alerts)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var k = engine.Options.K;
        var hubSize = engine.Options.HubSize;
        var live = engine.LiveOrdinals();
        var n = live.Length;
        var index = new Dictionary<int, int>(n);
        for (var i = 0; i < n; i++)
        {
            index[live[i]] = i;
        }

        var matrix = Matrix(engine, live);
        var kk = NeighbourLists.EffectiveK(k, n);
        var sklLive = LiveLists(engine, live, index, Metric.Skl, kk);
        var mpLive = LiveLists(engine, live, index, Metric.Mp, kk);

        var ranks = RankMatrix.Build(matrix);
        var sklScorer = MutualProximity.CreateScorer(matrix, Method.None);
        var sklExact = MutualProximity.Neighbours(matrix, Method.None, k);
        var indScorer = MutualProximity.CreateScorer(matrix, Method.MpIndependent, ranks: ranks);
        var indExact = MutualProximity.Neighbours(matrix, Method.MpIndependent, k, ranks: ranks);
        var empScorer = MutualProximity.CreateScorer(matrix, Method.MpEmpiric, ranks: ranks);
        var empExact = MutualProximity.Neighbours(matrix, Method.MpEmpiric, k, ranks: ranks);

        var identical = 0;
        var nearTies = 0;
        for (var x = 0; x < n; x++)
        {
            if (sklLive[x].SequenceEqual(sklExact[x]))
            {
                identical++;
            }
            else if (SameDistances(sklLive[x], sklExact[x], t => sklScorer.Base(x, t)))
            {
                nearTies++;
            }
        }

        var occSkl = HubnessMeasures.Occurrence(sklLive);
        var occMp = HubnessMeasures.Occurrence(mpLive);
        var occSklExact = HubnessMeasures.Occurrence(sklExact);
        var occInd = HubnessMeasures.Occurrence(indExact);
        var occEmp = HubnessMeasures.Occurrence(empExact);
        var liveSkl = HubnessMeasures.FromOccurrence(occSkl, k, hubSize);
        var liveMp = HubnessMeasures.FromOccurrence(occMp, k, hubSize);
        var exactSkl = HubnessMeasures.FromOccurrence(occSklExact, k, hubSize);
        var exactInd = HubnessMeasures.FromOccurrence(occInd, k, hubSize);
        var exactEmp = HubnessMeasures.FromOccurrence(occEmp, k, hubSize);
        var consistent = Consistent(engine.Measures(Metric.Skl), liveSkl, engine, live, Metric.Skl)
            && Consistent(engine.Measures(Metric.Mp), liveMp, engine, live, Metric.Mp);

        return new Checkpoint(
            n,
            n == 0 ? 1 : (double)identical / n,
            nearTies,
            MutualProximity.TieTolerantRecall(mpLive, indExact, indScorer),
            MutualProximity.TieTolerantRecall(mpLive, empExact, empScorer),
            L1(occSkl, occSklExact),
            L1(occMp, occInd),
            L1(occMp, occEmp),
            liveSkl.Hubs,
            exactSkl.Hubs,
            liveSkl.Antihubs,
            exactSkl.Antihubs,
            liveMp.Hubs,
            exactInd.Hubs,
            exactEmp.Hubs,
            liveMp.Antihubs,
            exactInd.Antihubs,
            exactEmp.Antihubs,
            liveSkl.Skewness,
            liveMp.Skewness,
            consistent,
            alerts,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>
    /// Checks a seeded sample of live songs exactly, at any catalogue size: their exact SKL and
    /// mp-independent lists over the whole catalogue (<see cref="SampledExact"/>, the same scores and
    /// tie rule as <see cref="Run"/>) against the engine's lists, with the same measures. mp-empiric
    /// is not computed (it needs every pair's co-occurrence count).
    /// </summary>
    public static SampledCheckpoint RunSampled(CatalogueEngine engine, int songs, ulong seed)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var live = engine.LiveOrdinals();
        var n = live.Length;
        const int stride = SklPacking.Stride;
        var rows = new float[(long)n * stride];
        var index = new Dictionary<int, int>(n);
        for (var i = 0; i < n; i++)
        {
            engine.CopyRow(live[i], rows.AsSpan(i * stride, stride));
            index[live[i]] = i;
        }

        var exact = SampledExact.Compute(rows, MutualProximity.Sample(n, songs, seed), engine.Options.K, engine.Options.MaxDegreeOfParallelism);
        var identical = 0;
        var nearTies = 0;
        long hits = 0, total = 0;
        for (var i = 0; i < exact.Sample.Count; i++)
        {
            var s = exact.Sample[i];
            var skl = engine.NeighbourOrdinals(live[s], Metric.Skl).Select(o => index[o]).ToArray();
            var sklExact = exact.SklList(i);
            if (skl.SequenceEqual(sklExact))
            {
                identical++;
            }
            else if (SameDistances(skl, sklExact.ToArray(), t => exact.Distance(i, t)))
            {
                nearTies++;
            }

            var mpExact = exact.MpIndependentList(i);
            if (mpExact.Count == 0)
            {
                continue;
            }

            var kth = exact.MpIndependentScore(i, mpExact[^1]);
            foreach (var o in engine.NeighbourOrdinals(live[s], Metric.Mp))
            {
                total++;
                if (exact.MpIndependentScore(i, index[o]) >= kth)
                {
                    hits++;
                }
            }
        }

        var sampled = exact.Sample.Count;
        return new SampledCheckpoint(
            n,
            sampled,
            sampled == 0 ? 1 : (double)identical / sampled,
            nearTies,
            total == 0 ? 1 : (double)hits / total,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The engine's lists of the live songs as indices into the live order.</summary>
    public static NeighbourLists LiveLists(CatalogueEngine engine, int[] live, Dictionary<int, int> index, Metric metric, int k)
    {
        var flat = new int[live.Length * k];
        for (var x = 0; x < live.Length; x++)
        {
            var list = engine.NeighbourOrdinals(live[x], metric);
            for (var i = 0; i < k; i++)
            {
                // A list can only be short when the catalogue is (k ≥ n); pad with the song itself never happens then.
                flat[(x * k) + i] = i < list.Length ? index[list[i]] : x;
            }
        }

        return new NeighbourLists(live.Length, k, flat);
    }

    /// <summary>True when two lists of a song's neighbours hold the same distances position by position (they differ only among ties).</summary>
    private static bool SameDistances(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Func<int, double> distance)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (distance(a[i]) != distance(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Consistent(CatalogueMeasures incremental, HubnessReport recomputed, CatalogueEngine engine, int[] live, Metric metric)
    {
        for (var i = 0; i < live.Length; i++)
        {
            if (engine.Occurrence(live[i], metric) != recomputed.Occurrence[i])
            {
                return false;
            }
        }

        return incremental.Hubs == recomputed.Hubs
            && incremental.Antihubs == recomputed.Antihubs
            && incremental.MaxOccurrence == recomputed.MaxOccurrence
            && Math.Abs(incremental.Skewness - recomputed.Skewness) <= 1e-9 * Math.Max(1, Math.Abs(recomputed.Skewness))
            && Math.Abs(incremental.RobinHood - recomputed.RobinHood) <= 1e-12
            && Math.Abs(incremental.Gini - recomputed.Gini) <= 1e-9;
    }

    private static long L1(int[] a, int[] b)
    {
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum;
    }
}
