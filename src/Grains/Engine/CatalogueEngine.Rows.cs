using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <content>Selection of nearest songs from a distance row, and sketches built from a full row.</content>
public sealed partial class CatalogueEngine
{
    /// <summary>
    /// Every live song with a distance at most some threshold, sorted by (distance, ordinal): at
    /// least min(<paramref name="want"/>, live) songs and a complete prefix of the row's order.
    /// O(n) (parallel over shards, merged in shard order) plus the sort of the selected set; the
    /// threshold comes from a strided sample. When <paramref name="sketchShard"/> is given, the same
    /// scan also builds that song's sketch (see <see cref="BuildSketch"/>).
    /// </summary>
    private NearestSet SelectNearest(float[] distances, int end, int want, int others, Shard? sketchShard = null, int sketchLocal = 0)
    {
        if (others == 0)
        {
            if (sketchShard is not null)
            {
                sketchShard.Headers[sketchLocal] = SketchHeader.Empty;
            }

            return new NearestSet([]);
        }

        var sample = Sample(distances, end);
        var threshold = float.PositiveInfinity;
        if ((long)want * 4 < others)
        {
            var fraction = Math.Min(1.0, 2.0 * want / others);
            var index = (int)Math.Ceiling(fraction * sample.Length) + 2;
            threshold = index < sample.Length ? sample[index] : float.PositiveInfinity;
        }

        // Sums are shifted by the sample median so that Σx² − (Σx)²/n does not cancel.
        double shift = sample.Length > 0 ? sample[sample.Length / 2] : 0;
        var shards = _shards.Count;
        var parts = new List<ulong>[shards];
        var moments = new (long N, double Sum, double Squares, float Min, float Max)[shards];
        while (true)
        {
            var thr = threshold;
            Parallel.For(0, shards, _parallel, si =>
            {
                var s = _shards[si];
                var stop = Math.Min(s.Used, end - s.First);
                var keys = new List<ulong>();
                long n = 0;
                double sum = 0, squares = 0;
                float min = float.PositiveInfinity, max = float.NegativeInfinity;
                for (var l = 0; l < stop; l++)
                {
                    if (!s.Alive[l])
                    {
                        continue;
                    }

                    var d = distances[s.First + l];
                    if (float.IsNaN(d))
                    {
                        continue;
                    }

                    if (d <= thr)
                    {
                        keys.Add(Key(d, s.First + l));
                    }

                    n++;
                    var x = d - shift;
                    sum += x;
                    squares += x * x;
                    min = Math.Min(min, d);
                    max = Math.Max(max, d);
                }

                parts[si] = keys;
                moments[si] = (n, sum, squares, min, max);
            });

            var total = 0;
            foreach (var p in parts)
            {
                total += p.Count;
            }

            if (total >= Math.Min(want, others) || float.IsPositiveInfinity(threshold))
            {
                var array = new ulong[total];
                var at = 0;
                foreach (var p in parts)
                {
                    p.CopyTo(array, at);
                    at += p.Count;
                }

                Array.Sort(array);
                var low = new NearestSet(array);
                if (sketchShard is not null)
                {
                    BuildSketch(sketchShard, sketchLocal, distances, end, low, others, sample, shift, moments);
                }

                return low;
            }

            threshold = threshold > 0 ? threshold * 4 : float.PositiveInfinity;
        }
    }

    /// <summary>Sorted live distances at ordinals 0, s, 2s, … with s = max(1, end / 2,048): every live distance up to 2,048 songs.</summary>
    private float[] Sample(float[] distances, int end)
    {
        var stride = Math.Max(1, end / SketchSample);
        var sample = new List<float>((end / stride) + 1);
        for (var i = 0; i < end; i += stride)
        {
            if (IsAliveFast(i) && !float.IsNaN(distances[i]))
            {
                sample.Add(distances[i]);
            }
        }

        var array = sample.ToArray();
        Array.Sort(array);
        return array;
    }

    private bool IsAliveFast(int ordinal)
    {
        var c = _options.ShardCapacity;
        return _shards[ordinal / c].Alive[ordinal % c];
    }

    /// <summary>Order-preserving key of (distance, ordinal): float bits mapped to unsigned order, ordinal below.</summary>
    internal static ulong Key(float d, int ordinal)
    {
        var bits = (uint)BitConverter.SingleToInt32Bits(d);
        bits = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)bits << 32) | (uint)ordinal;
    }

    private static float KeyDistance(ulong key)
    {
        var bits = (uint)(key >> 32);
        bits = (bits & 0x8000_0000u) != 0 ? bits & 0x7FFF_FFFFu : ~bits;
        return BitConverter.Int32BitsToSingle((int)bits);
    }

    /// <summary>
    /// X's sketch of its distances to the <paramref name="others"/> live songs. Up to Q values it is
    /// exact; otherwise knots are placed at the levels ((i+1)/Q)³ (type-1 quantiles): exact from the
    /// sorted low set where the rank falls inside it, from the sorted strided sample above (exact for
    /// catalogues up to 2,048 songs); bucket counts, the moment sums (shifted by the sample median, added in shard order),
    /// minimum and maximum are exact over the full row. O(n log Q).
    /// </summary>
    private void BuildSketch(Shard s, int l, float[] distances, int end, NearestSet low, int others, float[] sample, double shift, (long N, double Sum, double Squares, float Min, float Max)[] moments)
    {
        ref var header = ref s.Headers[l];
        var knots = s.KnotsOf(l);
        var counts = s.CountsOf(l);
        var q = knots.Length;
        if (others <= q)
        {
            var values = new double[others];
            for (var i = 0; i < others; i++)
            {
                values[i] = low.Distance(i);
            }

            SketchOps.Initialise(knots, counts, ref header, values);
            return;
        }

        var exactSample = sample.Length == others;
        for (var i = 0; i < q; i++)
        {
            var level = SketchOps.Level(i, q);
            var rank = Math.Clamp((int)Math.Ceiling(level * others) - 1, 0, others - 1);
            float knot;
            if (rank < low.Count)
            {
                knot = low.Distance(rank);
            }
            else if (exactSample)
            {
                knot = sample[rank];
            }
            else
            {
                var index = Math.Clamp((int)Math.Ceiling(level * sample.Length) - 1, 0, sample.Length - 1);
                knot = sample[index];
            }

            knots[i] = i > 0 ? Math.Max(knot, knots[i - 1]) : knot;
        }

        _knotTable.Build(knots);
        var table = _knotTable;
        var partCounts = new int[_shards.Count][];
        Parallel.For(0, _shards.Count, _parallel, si =>
        {
            var sh = _shards[si];
            var stop = Math.Min(sh.Used, end - sh.First);
            var local = new int[q + 1];
            for (var j = 0; j < stop; j++)
            {
                var v = distances[sh.First + j];
                if (sh.Alive[j] && !float.IsNaN(v))
                {
                    local[table.Bucket(v)]++;
                }
            }

            partCounts[si] = local;
        });

        counts.Clear();
        foreach (var part in partCounts)
        {
            for (var b = 0; b <= q; b++)
            {
                counts[b] += part[b];
            }
        }

        long n = 0;
        double sum = 0, squares = 0;
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var (pn, pSum, pSquares, pMin, pMax) in moments)
        {
            n += pn;
            sum += pSum;
            squares += pSquares;
            min = Math.Min(min, pMin);
            max = Math.Max(max, pMax);
        }

        header = new SketchHeader { Count = n, KnottedAt = n, Shift = shift, Sum = sum, SumSquares = squares, Min = min, Max = max };
    }

    private readonly KnotTable _knotTable = new();

    /// <summary>Median of X's distances from its fresh sketch (exact up to the sketch's resolution).</summary>
    private static double MedianEstimate(Shard s, int l)
    {
        ref var header = ref s.Headers[l];
        if (header.Count == 0)
        {
            return double.NaN;
        }

        var target = 0.5 * header.Count;
        double lo = header.Min, hi = header.Max;
        for (var i = 0; i < 40 && hi > lo; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (SketchOps.CountAtMost(s.KnotsOf(l), s.CountsOf(l), in header, mid) < target)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return hi;
    }

    /// <summary>A copy of a song's sketch (tests).</summary>
    internal (float[] Knots, float[] Counts, SketchHeader Header) SketchOf(int ordinal)
    {
        var (s, l) = Locate(ordinal);
        return (s.KnotsOf(l).ToArray(), s.CountsOf(l).ToArray(), s.Headers[l]);
    }

    /// <summary>The nearest songs of a row, sorted by (distance, ordinal).</summary>
    private readonly struct NearestSet(ulong[] keys)
    {
        public int Count => keys.Length;

        public float Distance(int i) => KeyDistance(keys[i]);

        public int Ordinal(int i) => (int)(uint)keys[i];
    }
}
