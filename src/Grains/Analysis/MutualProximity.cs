using MathNet.Numerics;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Analysis;

/// <summary>The neighbour relations OrleansHub analyses.</summary>
public enum Method
{
    /// <summary>The base distance itself (no MP).</summary>
    None,

    /// <summary>Empiric MP: exact shared-farther-neighbour counts.</summary>
    MpEmpiric,

    /// <summary>MP with exact independent empirical marginals.</summary>
    MpIndependent,

    /// <summary>Independent MP with per-song quantile sketches updated as songs arrive (the served defence).</summary>
    MpQuantile,

    /// <summary>MP with normal marginals (mean and population standard deviation of each song's distances).</summary>
    MpNormal,

    /// <summary>Independent MP with marginals estimated on a fixed seeded sample of songs.</summary>
    MpSampled,
}

/// <summary>Settings of the MP variants.</summary>
/// <param name="Quantiles">Knots per quantile sketch (mp-quantile).</param>
/// <param name="Samples">Sample size s (mp-sampled).</param>
/// <param name="Seed">Seed of the sample (mp-sampled).</param>
/// <param name="MaxDegreeOfParallelism">Threads; −1 for all cores. Results never depend on it.</param>
public sealed record MpOptions(int Quantiles = 64, int Samples = 1000, ulong Seed = 42, int MaxDegreeOfParallelism = -1);

/// <summary>
/// k-NN lists under the base distance and the five Mutual Proximity variants of SPEC §1, with
/// D_MP = 1 − MP, ranked by MP descending (the exact order of D_MP ascending; comparing MP avoids
/// the rounding of 1 − MP), ties by the base distance, then the insertion ordinal.
/// </summary>
public static class MutualProximity
{
    /// <summary>Parses a method name as used on the command line (<c>none</c>, <c>mp-empiric</c>, …).</summary>
    public static bool TryParse(string name, out Method method)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "none": method = Method.None; return true;
            case "mp-empiric": method = Method.MpEmpiric; return true;
            case "mp-independent": method = Method.MpIndependent; return true;
            case "mp-quantile": method = Method.MpQuantile; return true;
            case "mp-normal": method = Method.MpNormal; return true;
            case "mp-sampled": method = Method.MpSampled; return true;
            default: method = Method.None; return false;
        }
    }

    /// <summary>The command-line name of a method.</summary>
    public static string Name(Method method) => method switch
    {
        Method.None => "none",
        Method.MpEmpiric => "mp-empiric",
        Method.MpIndependent => "mp-independent",
        Method.MpQuantile => "mp-quantile",
        Method.MpNormal => "mp-normal",
        Method.MpSampled => "mp-sampled",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>
    /// Pair scorer of a method on a distance matrix: higher score = nearer. Building it does the
    /// per-song preparation (ranks, sketches, moments, sample); scoring a pair is then O(1)
    /// (empiric: O(n)).
    /// </summary>
    public static PairScorer CreateScorer(DistanceMatrix distances, Method method, MpOptions? options = null, RankMatrix? ranks = null)
    {
        ArgumentNullException.ThrowIfNull(distances);
        options ??= new MpOptions();
        switch (method)
        {
            case Method.None:
                return new PairScorer(distances, method, (x, t) => -distances[x, t]);
            case Method.MpEmpiric:
            {
                var g = ranks ?? RankMatrix.Build(distances, options.MaxDegreeOfParallelism);
                return new PairScorer(distances, method, (x, t) => g.EmpiricCount(x, t), g);
            }

            case Method.MpIndependent:
            {
                var g = ranks ?? RankMatrix.Build(distances, options.MaxDegreeOfParallelism);
                return new PairScorer(distances, method, (x, t) => (double)g.Greater(x, t) * g.Greater(t, x), g);
            }

            case Method.MpNormal:
            {
                var (mean, sd) = RowMoments(distances);
                return new PairScorer(distances, method, (x, t) =>
                {
                    var d = distances[x, t];
                    return NormalSurvival(d, mean[x], sd[x]) * NormalSurvival(distances[t, x], mean[t], sd[t]);
                });
            }

            case Method.MpSampled:
            {
                var sample = SampleRows(distances, options.Samples, options.Seed);
                return new PairScorer(distances, method, (x, t) => sample.Survival(x, distances[x, t]) * sample.Survival(t, distances[t, x]));
            }

            case Method.MpQuantile:
            {
                var sketches = StreamSketches(distances, options.Quantiles, options.MaxDegreeOfParallelism);
                return new PairScorer(distances, method, (x, t) =>
                    sketches[x].Survival(distances[x, t]) * sketches[t].Survival(distances[t, x]));
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(method));
        }
    }

    /// <summary>k-NN lists of every song under <paramref name="method"/>.</summary>
    public static NeighbourLists Neighbours(DistanceMatrix distances, Method method, int k, MpOptions? options = null, RankMatrix? ranks = null)
    {
        options ??= new MpOptions();
        var scorer = CreateScorer(distances, method, options, ranks);
        return scorer.Method == Method.MpEmpiric
            ? EmpiricSearch.Neighbours(distances, scorer.Ranks!, k, options.MaxDegreeOfParallelism)
            : KnnSelector.Select(distances.Count, k, scorer, options.MaxDegreeOfParallelism);
    }

    /// <summary>
    /// Tie-tolerant recall of <paramref name="lists"/> against the exact relation of
    /// <paramref name="reference"/> (SPEC §1): the share of list entries t of x whose reference
    /// score is at least that of the reference's own k-th neighbour of x.
    /// </summary>
    public static double TieTolerantRecall(NeighbourLists lists, NeighbourLists referenceLists, PairScorer reference)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(referenceLists);
        ArgumentNullException.ThrowIfNull(reference);
        if (lists.Count != referenceLists.Count)
        {
            throw new ArgumentException("Both relations must cover the same songs.", nameof(referenceLists));
        }

        long hits = 0, total = 0;
        for (var x = 0; x < lists.Count; x++)
        {
            var refRow = referenceLists[x];
            if (refRow.Length == 0)
            {
                continue;
            }

            var kth = reference.Score(x, refRow[^1]);
            foreach (var t in lists[x])
            {
                total++;
                if (reference.Score(x, t) >= kth)
                {
                    hits++;
                }
            }
        }

        return total == 0 ? 1.0 : (double)hits / total;
    }

    /// <summary>
    /// Normal survival function SF(d; μ, σ) = ½·erfc((d − μ)/(σ√2)); for σ = 0 a step: 1 below μ,
    /// ½ at μ, 0 above.
    /// </summary>
    public static double NormalSurvival(double d, double mean, double sd)
    {
        if (sd > 0)
        {
            return 0.5 * SpecialFunctions.Erfc((d - mean) / (sd * Math.Sqrt(2)));
        }

        return d < mean ? 1 : d == mean ? 0.5 : 0;
    }

    /// <summary>Mean and population standard deviation of each row's n − 1 off-diagonal distances (two-pass).</summary>
    public static (double[] Mean, double[] StandardDeviation) RowMoments(DistanceMatrix distances)
    {
        ArgumentNullException.ThrowIfNull(distances);
        var n = distances.Count;
        var mean = new double[n];
        var sd = new double[n];
        for (var x = 0; x < n && n > 1; x++)
        {
            var row = distances.Row(x);
            double s = 0;
            for (var j = 0; j < n; j++)
            {
                if (j != x)
                {
                    s += row[j];
                }
            }

            var m = s / (n - 1);
            double ss = 0;
            for (var j = 0; j < n; j++)
            {
                if (j != x)
                {
                    ss += (row[j] - m) * (row[j] - m);
                }
            }

            mean[x] = m;
            sd[x] = Math.Sqrt(ss / (n - 1));
        }

        return (mean, sd);
    }

    /// <summary>
    /// The seeded sample of mp-sampled: min(s, n) distinct songs drawn by a partial Fisher–Yates
    /// shuffle driven by SplitMix64(seed), so the sample depends only on (n, s, seed).
    /// </summary>
    public static int[] Sample(int count, int samples, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        var rng = new SplitMix64(seed);
        var take = Math.Min(samples, count);
        for (var i = 0; i < take; i++)
        {
            var j = i + (int)rng.NextBelow((ulong)(count - i));
            (order[i], order[j]) = (order[j], order[i]);
        }

        var sample = order[..take];
        Array.Sort(sample);
        return sample;
    }

    /// <summary>
    /// Streams the catalogue into per-song quantile sketches in insertion order, exactly as the live
    /// engine does: song i's sketch starts from its distances to songs 0..i−1, and every later song
    /// j adds d(i, j) to it.
    /// </summary>
    public static QuantileSketch[] StreamSketches(DistanceMatrix distances, int quantiles, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(distances);
        var n = distances.Count;
        var sketches = new QuantileSketch[n];

        // Each sketch sees its own sequence (its row to earlier songs, then later songs one by
        // one), independent of the others, so sketches are built in parallel with identical bits.
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            var row = distances.Row(i);
            var sketch = QuantileSketch.FromValues(row[..i], quantiles);
            for (var j = i + 1; j < n; j++)
            {
                sketch.Add(row[j]);
            }

            sketches[i] = sketch;
        });
        return sketches;
    }

    private static SampledMarginals SampleRows(DistanceMatrix distances, int samples, ulong seed)
    {
        var n = distances.Count;
        var sample = Sample(n, samples, seed);
        var sorted = new double[n][];
        for (var x = 0; x < n; x++)
        {
            var values = new List<double>(sample.Length);
            foreach (var j in sample)
            {
                if (j != x)
                {
                    values.Add(distances[x, j]);
                }
            }

            var arr = values.ToArray();
            Array.Sort(arr);
            sorted[x] = arr;
        }

        return new SampledMarginals(sorted);
    }

    private sealed class SampledMarginals(double[][] sorted)
    {
        /// <summary>1 − F̂x(d): share of x's sample distances strictly greater than d.</summary>
        public double Survival(int x, double d)
        {
            var row = sorted[x];
            if (row.Length == 0)
            {
                return 1;
            }

            var atMost = SortedSearch.CountAtMost<double>(row, d);
            return (double)(row.Length - atMost) / row.Length;
        }
    }
}

/// <summary>Scores pairs under one method (higher = nearer); the base distance breaks ties.</summary>
public sealed class PairScorer : IPairScore
{
    private readonly DistanceMatrix _distances;
    private readonly Func<int, int, double> _score;

    internal PairScorer(DistanceMatrix distances, Method method, Func<int, int, double> score, RankMatrix? ranks = null)
    {
        _distances = distances;
        _score = score;
        Method = method;
        Ranks = ranks;
    }

    /// <summary>The method scored.</summary>
    public Method Method { get; }

    /// <summary>The exact rank matrix, for the methods built on it.</summary>
    public RankMatrix? Ranks { get; }

    /// <inheritdoc />
    public double Score(int x, int t) => _score(x, t);

    /// <inheritdoc />
    public double Base(int x, int t) => _distances[x, t];
}
