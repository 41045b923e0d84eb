using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Analysis;

/// <summary>
/// Exact SKL and mp-independent relations of a sample of songs against a whole catalogue, for
/// catalogues too large for the n×n matrices of <see cref="RankMatrix"/> (12·n² bytes): the same
/// scores, tie rule and lists as <see cref="MutualProximity.Neighbours"/> on the full matrix, but
/// only for the sampled songs.
/// </summary>
/// <remarks>
/// Distances are the kernel's canonical float32 values (the later song's query against the earlier
/// song's row, as <see cref="SklMatrix.AllPairs"/> and the engine compute them). The mp-independent
/// score of (s, t) is G[s, t]·G[t, s], where G[x, t] counts the songs other than x strictly farther
/// from x than t. G[s, ·] comes from s's own row; G[t, s] needs t's whole row for every t, so the
/// catalogue's rows are computed block by block (n² kernel evaluations in all: about 90 s of
/// this 2-core machine at n = 100,000) and each row is counted against the sampled songs'
/// distances to it, 64 at a time with <see cref="BucketSearch"/>. Memory: the catalogue's queries
/// (n·464 floats besides the rows), 3·64·n floats of block scratch per thread and three n-value
/// arrays per sampled song: about 0.65 GB at n = 100,000 with 256 sampled songs, 2 threads. The work
/// grows as n², so 1,000,000 songs would take hours.
/// </remarks>
public sealed class SampledExact
{
    /// <summary>Songs (rows) per block of the all-pairs pass.</summary>
    internal const int DefaultBlock = 64;

    private readonly float[][] _rows;
    private readonly int[][] _greaterFrom;
    private readonly int[][] _greaterTo;
    private readonly int[][] _skl;
    private readonly int[][] _mp;

    private SampledExact(int count, int[] sample, float[][] rows, int[][] greaterFrom, int[][] greaterTo, int[][] skl, int[][] mp)
    {
        Count = count;
        Sample = sample;
        _rows = rows;
        _greaterFrom = greaterFrom;
        _greaterTo = greaterTo;
        _skl = skl;
        _mp = mp;
    }

    /// <summary>Songs in the catalogue.</summary>
    public int Count { get; }

    /// <summary>The sampled songs (indices into the catalogue, ascending); position i below refers to Sample[i].</summary>
    public IReadOnlyList<int> Sample { get; }

    /// <summary>d(Sample[i], t) as the kernel computed it (0 for t = Sample[i]).</summary>
    public float Distance(int i, int t) => _rows[i][t];

    /// <summary>G[Sample[i], t]: songs other than Sample[i] strictly farther from it than t.</summary>
    public int Greater(int i, int t) => _greaterFrom[i][t];

    /// <summary>G[t, Sample[i]]: songs other than t strictly farther from t than Sample[i].</summary>
    public int GreaterTo(int i, int t) => _greaterTo[i][t];

    /// <summary>The mp-independent score of (Sample[i], t): G[s, t]·G[t, s], as <see cref="MutualProximity.CreateScorer"/> scores it.</summary>
    public double MpIndependentScore(int i, int t) => (double)_greaterFrom[i][t] * _greaterTo[i][t];

    /// <summary>Exact SKL k-NN list of Sample[i] (nearest first, tie rule of <see cref="IPairScore"/>).</summary>
    public IReadOnlyList<int> SklList(int i) => _skl[i];

    /// <summary>Exact mp-independent k-NN list of Sample[i].</summary>
    public IReadOnlyList<int> MpIndependentList(int i) => _mp[i];

    /// <summary>Computes the sampled relations.</summary>
    /// <param name="rows">The catalogue's packed rows (<see cref="SklPacking.Stride"/> floats each) in insertion order.</param>
    /// <param name="sample">Distinct song indices to check.</param>
    /// <param name="k">List length (min(k, n − 1) is used, as <see cref="NeighbourLists.EffectiveK"/>).</param>
    /// <param name="maxDegreeOfParallelism">−1 for no limit, or positive; the result does not depend on it.</param>
    public static SampledExact Compute(float[] rows, IReadOnlyList<int> sample, int k, int maxDegreeOfParallelism = -1) =>
        Compute(rows, sample, k, maxDegreeOfParallelism, DefaultBlock);

    /// <summary><see cref="Compute(float[], IReadOnlyList{int}, int, int)"/> with a chosen block size (tests).</summary>
    internal static SampledExact Compute(float[] rows, IReadOnlyList<int> sample, int k, int maxDegreeOfParallelism, int block)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(block);
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use -1 (no limit) or a positive number.");
        }

        const int stride = SklPacking.Stride;
        if (rows.Length % stride != 0)
        {
            throw new ArgumentException($"Rows must be a whole number of {stride}-float rows.", nameof(rows));
        }

        var n = rows.Length / stride;
        var sampled = sample.ToArray();
        Array.Sort(sampled);
        for (var i = 0; i < sampled.Length; i++)
        {
            if (sampled[i] < 0 || sampled[i] >= n || (i > 0 && sampled[i] == sampled[i - 1]))
            {
                throw new ArgumentException($"Sampled songs must be distinct indices below {n}.", nameof(sample));
            }
        }

        var queries = new float[rows.Length];
        for (var i = 0; i < n; i++)
        {
            SklPacking.QueryFromRow<float>(rows.AsSpan(i * stride, stride), queries.AsSpan(i * stride, stride));
        }

        var position = new Dictionary<int, int>(sampled.Length);
        for (var i = 0; i < sampled.Length; i++)
        {
            position[sampled[i]] = i;
        }

        var sampleRows = new float[sampled.Length][];
        var greaterTo = new int[sampled.Length][];
        for (var i = 0; i < sampled.Length; i++)
        {
            greaterTo[i] = new int[n];
        }

        // Blocks of rows in parallel: a block writes only its own songs' entries, so the result does not depend on the threads.
        var blocks = (n + block - 1) / block;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        Parallel.For(0, blocks, options, () => new Scratch(block, n, sampled.Length), (bi, _, scratch) =>
        {
            var b0 = bi * block;
            var b1 = Math.Min(n, b0 + block);
            var width = b1 - b0;
            var earlier = scratch.Earlier.AsSpan(0, width * b0);
            var inner = scratch.Inner.AsSpan(0, width * width);
            var later = scratch.Later.AsSpan(0, (n - b1) * width);
            SklKernel.ManyToMany(queries.AsSpan(b0 * stride, width * stride), rows.AsSpan(0, b0 * stride), earlier);
            SklKernel.ManyToMany(queries.AsSpan(b0 * stride, width * stride), rows.AsSpan(b0 * stride, width * stride), inner);
            SklKernel.ManyToMany(queries.AsSpan(b1 * stride, (n - b1) * stride), rows.AsSpan(b0 * stride, width * stride), later);
            // Assemble the block's rows: row t holds d(t, u) for every u (the later song of each pair is the query).
            var assembled = scratch.Block;
            for (var i = 0; i < width; i++)
            {
                earlier.Slice(i * b0, b0).CopyTo(assembled.AsSpan(i * n, b0));
                for (var j = 0; j < width; j++)
                {
                    assembled[(i * n) + b0 + j] = j < i ? inner[(i * width) + j] : inner[(j * width) + i];
                }
            }

            for (var u = b1; u < n; u++)
            {
                var from = later.Slice((u - b1) * width, width);
                for (var i = 0; i < width; i++)
                {
                    assembled[(i * n) + u] = from[i];
                }
            }

            for (var i = 0; i < width; i++)
            {
                var t = b0 + i;
                var row = assembled.AsSpan(i * n, n);
                row[t] = 0;
                if (position.TryGetValue(t, out var own))
                {
                    sampleRows[own] = row.ToArray();
                }

                // t itself is never farther than anything.
                row[t] = float.NegativeInfinity;
                CountFarther(row, t, sampled, greaterTo, scratch);
            }

            return scratch;
        }, _ => { });

        var kk = NeighbourLists.EffectiveK(k, n);
        var greaterFrom = new int[sampled.Length][];
        var skl = new int[sampled.Length][];
        var mp = new int[sampled.Length][];
        Parallel.For(0, sampled.Length, options, i =>
        {
            var s = sampled[i];
            var row = sampleRows[i];
            greaterFrom[i] = GreaterFromRow(row, s);
            var bySkl = new TopK(Math.Max(1, kk));
            var byMp = new TopK(Math.Max(1, kk));
            for (var t = 0; t < n; t++)
            {
                if (t != s)
                {
                    bySkl.Offer(-(double)row[t], row[t], t);
                    byMp.Offer((double)greaterFrom[i][t] * greaterTo[i][t], row[t], t);
                }
            }

            skl[i] = new int[kk];
            mp[i] = new int[kk];
            bySkl.CopyTo(skl[i]);
            byMp.CopyTo(mp[i]);
        });

        return new SampledExact(n, sampled, sampleRows, greaterFrom, greaterTo, skl, mp);
    }

    /// <summary>
    /// G[t, s] for every sampled s ≠ t: the values of t's row strictly above d(t, s). The thresholds are
    /// sorted and taken 64 at a time as knots; a value's bucket b (knots below it) means it exceeds
    /// exactly the group's first b thresholds, so a suffix sum of the bucket histogram gives each count.
    /// </summary>
    private static void CountFarther(ReadOnlySpan<float> row, int t, int[] sampled, int[][] greaterTo, Scratch scratch)
    {
        var m = 0;
        for (var i = 0; i < sampled.Length; i++)
        {
            if (sampled[i] != t)
            {
                scratch.Thresholds[m] = row[sampled[i]];
                scratch.Owners[m++] = i;
            }
        }

        var thresholds = scratch.Thresholds.AsSpan(0, m);
        var owners = scratch.Owners.AsSpan(0, m);
        thresholds.Sort(owners);
        for (var g = 0; g < m; g += BucketSearch.MaxKnots)
        {
            var size = Math.Min(BucketSearch.MaxKnots, m - g);
            var search = new BucketSearch(thresholds.Slice(g, size));
            search.Buckets(row, scratch.Buckets);
            var histogram = scratch.Histogram;
            Array.Clear(histogram);
            foreach (var b in scratch.Buckets)
            {
                histogram[b]++;
            }

            // Values above threshold j of the group: those with bucket > j.
            var above = 0;
            for (var j = size - 1; j >= 0; j--)
            {
                above += histogram[j + 1];
                greaterTo[owners[g + j]][t] = above;
            }
        }
    }

    /// <summary>G[s, t] for every t from s's own row: songs other than s strictly farther than t (0 at t = s).</summary>
    private static int[] GreaterFromRow(float[] row, int s)
    {
        var n = row.Length;
        var others = new float[n - 1];
        row.AsSpan(0, s).CopyTo(others);
        row.AsSpan(s + 1).CopyTo(others.AsSpan(s));
        Array.Sort(others);
        var greater = new int[n];
        for (var t = 0; t < n; t++)
        {
            if (t != s)
            {
                greater[t] = others.Length - SortedSearch.CountAtMost<float>(others, row[t]);
            }
        }

        return greater;
    }

    private sealed class Scratch(int block, int n, int samples)
    {
        public float[] Earlier { get; } = new float[block * n];

        public float[] Inner { get; } = new float[block * block];

        public float[] Later { get; } = new float[block * n];

        public float[] Block { get; } = new float[block * n];

        public int[] Buckets { get; } = new int[n];

        public int[] Histogram { get; } = new int[BucketSearch.MaxKnots + 1];

        public float[] Thresholds { get; } = new float[samples];

        public int[] Owners { get; } = new int[samples];
    }
}
