using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <content>Selection of nearest songs from a distance row, and sketches built from a full row.</content>
public sealed partial class CatalogueEngine
{
    /// <summary>
    /// Every live song with a distance at most some threshold, sorted by (distance, ordinal): at
    /// least min(<paramref name="want"/>, live) songs and a complete prefix of the row's order.
    /// O(n) plus the sort of the selected set; the threshold comes from a strided sample.
    /// </summary>
    private NearestSet SelectNearest(ReadOnlySpan<float> distances, int end, int want, int others)
    {
        if (others == 0)
        {
            return new NearestSet([]);
        }

        var threshold = float.PositiveInfinity;
        if ((long)want * 4 < others)
        {
            var stride = Math.Max(1, end / SketchSample);
            var sample = new List<float>(SketchSample + 1);
            for (var i = 0; i < end; i += stride)
            {
                if (IsAliveFast(i))
                {
                    sample.Add(distances[i]);
                }
            }

            sample.Sort();
            var fraction = Math.Min(1.0, 2.0 * want / others);
            var index = (int)Math.Ceiling(fraction * sample.Count) + 2;
            threshold = index < sample.Count ? sample[index] : float.PositiveInfinity;
        }

        while (true)
        {
            var keys = new List<ulong>(Math.Min(others, Math.Max(16, want * 2)));
            for (var si = 0; si < _shards.Count; si++)
            {
                var s = _shards[si];
                var stop = Math.Min(s.Used, end - s.First);
                for (var l = 0; l < stop; l++)
                {
                    var d = distances[s.First + l];
                    if (d <= threshold && s.Alive[l])
                    {
                        keys.Add(Key(d, s.First + l));
                    }
                }
            }

            if (keys.Count >= Math.Min(want, others) || float.IsPositiveInfinity(threshold))
            {
                var array = keys.ToArray();
                Array.Sort(array);
                return new NearestSet(array);
            }

            threshold = threshold > 0 ? threshold * 4 : float.PositiveInfinity;
        }
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
    /// exact; otherwise knots are placed at the levels ((i+1)/Q)² (type-1 quantiles): exact from the
    /// sorted low set where the rank falls inside it, from a sorted strided sample of at most 8,192
    /// distances above (exact for catalogues up to 8,192 songs); bucket counts, mean, M2, min and max
    /// are exact over the full row. O(n log Q).
    /// </summary>
    private void BuildSketch(Shard s, int l, ReadOnlySpan<float> distances, int end, NearestSet low, int others)
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

        var stride = Math.Max(1, end / SketchSample);
        var sample = new List<float>((end / stride) + 1);
        for (var i = 0; i < end; i += stride)
        {
            if (IsAliveFast(i))
            {
                sample.Add(distances[i]);
            }
        }

        sample.Sort();
        var exactSample = stride == 1;
        for (var i = 0; i < q; i++)
        {
            var level = SketchOps.Level(i, q);
            var rank = Math.Clamp((int)Math.Ceiling(level * others) - 1, 0, others - 1);
            float knot;
            if (rank < low.Count || exactSample)
            {
                knot = rank < low.Count ? low.Distance(rank) : sample[rank];
            }
            else
            {
                var index = Math.Clamp((int)Math.Ceiling(level * sample.Count) - 1, 0, sample.Count - 1);
                knot = sample[index];
            }

            knots[i] = i > 0 ? Math.Max(knot, knots[i - 1]) : knot;
        }

        counts.Clear();
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        double mean = 0, m2 = 0;
        long n = 0;
        for (var si = 0; si < _shards.Count; si++)
        {
            var sh = _shards[si];
            var stop = Math.Min(sh.Used, end - sh.First);
            for (var j = 0; j < stop; j++)
            {
                if (!sh.Alive[j])
                {
                    continue;
                }

                var v = distances[sh.First + j];
                counts[Bucket(knots, v)] += 1;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
                n++;
                var delta = v - mean;
                mean += delta / n;
                m2 += delta * (v - mean);
            }
        }

        header = new SketchHeader { Count = n, KnottedAt = n, Mean = mean, M2 = m2, Min = min, Max = max };
    }

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

    // Bucket of a value in SketchOps' layout: first knot ≥ v (Q above the last knot).
    private static int Bucket(ReadOnlySpan<float> knots, float v)
    {
        int lo = 0, hi = knots.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (knots[mid] < v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The nearest songs of a row, sorted by (distance, ordinal).</summary>
    private readonly struct NearestSet(ulong[] keys)
    {
        public int Count => keys.Length;

        public float Distance(int i) => KeyDistance(keys[i]);

        public int Ordinal(int i) => (int)(uint)keys[i];
    }
}
