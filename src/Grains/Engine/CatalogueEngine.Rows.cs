using System.Numerics;
using System.Runtime.Intrinsics;
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
                var stop = Math.Max(0, Math.Min(s.Used, end - s.First));
                var keys = new List<ulong>();
                var (n, sum, squares, min, max) = ScanRow(distances.AsSpan(s.First, stop), s.Alive.AsSpan(0, stop), s.First, thr, shift, keys);
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

    /// <summary>
    /// One shard's part of a row scan: keys of the live distances ≤ <paramref name="threshold"/> (in
    /// ordinal order) and the count, shifted sums, minimum and maximum of its live non-NaN
    /// distances. Vectorised when the shard has no deleted song (the usual case); the sums' order
    /// depends only on the shard's contents, so the result is deterministic.
    /// </summary>
    internal static (long N, double Sum, double Squares, float Min, float Max) ScanRow(ReadOnlySpan<float> row, ReadOnlySpan<bool> alive, int first, float threshold, double shift, List<ulong> keys)
    {
        long n = 0;
        double sum = 0, squares = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        var l = 0;
        if (Vector256.IsHardwareAccelerated && !alive.Contains(false))
        {
            var thr = Vector256.Create(threshold);
            var shiftV = Vector256.Create(shift);
            Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, q0 = s0, q1 = s0;
            var minV = Vector256.Create(float.PositiveInfinity);
            var maxV = Vector256.Create(float.NegativeInfinity);
            for (; l + Vector256<float>.Count <= row.Length; l += Vector256<float>.Count)
            {
                var v = Vector256.Create(row.Slice(l, Vector256<float>.Count));
                var valid = Vector256.Equals(v, v);
                var below = (Vector256.LessThanOrEqual(v, thr) & valid).ExtractMostSignificantBits();
                while (below != 0)
                {
                    var j = l + BitOperations.TrailingZeroCount(below);
                    below &= below - 1;
                    keys.Add(Key(row[j], first + j));
                }

                n += BitOperations.PopCount(valid.ExtractMostSignificantBits());
                var (lo, hi) = Vector256.Widen(Vector256.ConditionalSelect(valid, v, Vector256<float>.Zero));
                var (validLo, validHi) = Vector256.Widen(valid.AsInt32());
                var x0 = Vector256.ConditionalSelect(validLo.AsDouble(), lo - shiftV, Vector256<double>.Zero);
                var x1 = Vector256.ConditionalSelect(validHi.AsDouble(), hi - shiftV, Vector256<double>.Zero);
                s0 += x0;
                s1 += x1;
                q0 += x0 * x0;
                q1 += x1 * x1;
                minV = Vector256.Min(minV, Vector256.ConditionalSelect(valid, v, Vector256.Create(float.PositiveInfinity)));
                maxV = Vector256.Max(maxV, Vector256.ConditionalSelect(valid, v, Vector256.Create(float.NegativeInfinity)));
            }

            sum = Vector256.Sum(s0 + s1);
            squares = Vector256.Sum(q0 + q1);
            for (var i = 0; i < Vector256<float>.Count; i++)
            {
                min = Math.Min(min, minV[i]);
                max = Math.Max(max, maxV[i]);
            }
        }

        for (; l < row.Length; l++)
        {
            var d = row[l];
            if (!alive[l] || float.IsNaN(d))
            {
                continue;
            }

            if (d <= threshold)
            {
                keys.Add(Key(d, first + l));
            }

            n++;
            var x = d - shift;
            sum += x;
            squares += x * x;
            min = Math.Min(min, d);
            max = Math.Max(max, d);
        }

        return (n, sum, squares, min, max);
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
            table.Count(distances.AsSpan(sh.First, Math.Max(0, stop)), sh.Alive.AsSpan(0, Math.Max(0, stop)), local);

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
