namespace OrleansHub.Grains.Sketch;

/// <summary>
/// Incremental sketch of one song's distance distribution F(d) = |{j : d(x, j) ≤ d}| / N with at
/// most Q knots, plus the exact count, mean and M2 (Welford) of the distances.
/// </summary>
/// <remarks>
/// <para>Design, chosen for a streaming catalogue where every insertion adds one value to every
/// sketch and a deletion removes one:</para>
/// <list type="bullet">
/// <item>While N ≤ Q the sketch stores the values themselves and is exact.</item>
/// <item>Beyond that it holds Q knots v₀ ≤ … ≤ v_{Q−1} placed at the probability levels
/// pᵢ = ((i+1)/Q)² — dense in the lower tail, where nearest neighbours live, sparse in the upper
/// tail — and the count of values in each of the Q+1 buckets (−∞, v₀], (v₀, v₁], …, (v_{Q−1}, ∞).
/// F is piecewise linear between knots (from the minimum to v₀ and from v_{Q−1} to the maximum
/// at the ends). Add and Remove are a binary search and one counter change: O(log Q).</item>
/// <item>When N has doubled since the knots were placed, they are moved to the levels pᵢ of the
/// current estimate (counts re-derived from it), so the knots follow a catalogue that grows by
/// orders of magnitude; amortised O(1) per value.</item>
/// </list>
/// <para>Counts are float32 (exact integers up to 2²⁴; fractional after re-knotting); knots are
/// float32 like the engine's distances. Removal of a value below the recorded minimum or from
/// an empty bucket takes the count from the nearest non-empty bucket. Everything is
/// deterministic: the same sequence of calls gives the same bits. Memory: about 8·Q bytes.</para>
/// </remarks>
public sealed class QuantileSketch
{
    private readonly int _q;
    private float[] _values; // exact mode: sorted values, length Q
    private float[]? _knots; // knot mode
    private float[]? _counts; // knot mode: Q + 1 bucket counts
    private float _min = float.PositiveInfinity;
    private float _max = float.NegativeInfinity;
    private long _knottedAt;
    private double _mean;
    private double _m2;

    /// <summary>An empty sketch of <paramref name="quantiles"/> knots (at least 2).</summary>
    public QuantileSketch(int quantiles)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantiles, 2);
        _q = quantiles;
        _values = new float[quantiles];
    }

    /// <summary>Number of knots Q.</summary>
    public int Quantiles => _q;

    /// <summary>Number of values N currently summarised.</summary>
    public long Count { get; private set; }

    /// <summary>Mean of the values (exact up to float64 rounding; 0 when empty).</summary>
    public double Mean => _mean;

    /// <summary>Population variance M2 / N of the values (0 when empty).</summary>
    public double PopulationVariance => Count > 0 ? _m2 / Count : 0;

    /// <summary>True while the sketch still stores every value exactly (N ≤ Q).</summary>
    public bool IsExact => _knots is null;

    /// <summary>Builds a sketch from an initial batch of values (exact quantiles of the batch).</summary>
    public static QuantileSketch FromValues(ReadOnlySpan<double> values, int quantiles)
    {
        var sketch = new QuantileSketch(quantiles);
        if (values.Length <= quantiles)
        {
            foreach (var v in values)
            {
                sketch.Add(v);
            }

            return sketch;
        }

        var sorted = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            sorted[i] = CheckFinite(values[i]);
            sketch.Accumulate(values[i], +1);
            sketch.Count++;
        }

        Array.Sort(sorted);
        sketch.PlaceKnotsExact(sorted);
        return sketch;
    }

    /// <summary>The probability level of knot i: ((i + 1)/Q)².</summary>
    public static double Level(int i, int quantiles) => Math.Pow((i + 1) / (double)quantiles, 2);

    /// <summary>Adds one distance.</summary>
    public void Add(double value)
    {
        var v = CheckFinite(value);
        Accumulate(value, +1);
        _min = Math.Min(_min, v);
        _max = Math.Max(_max, v);
        if (_knots is null)
        {
            if (Count < _q)
            {
                var pos = UpperBound(_values.AsSpan(0, (int)Count), v);
                Array.Copy(_values, pos, _values, pos + 1, (int)Count - pos);
                _values[pos] = v;
                Count++;
                return;
            }

            // The (Q+1)-th value: switch to knots placed at exact quantiles of all values so far.
            var all = new float[Count + 1];
            Array.Copy(_values, all, Count);
            all[Count] = v;
            Array.Sort(all);
            Count++;
            PlaceKnotsExact(all);
            return;
        }

        _counts![Bucket(v)] += 1;
        Count++;
        if (Count >= 2 * _knottedAt)
        {
            Reknot();
        }
    }

    /// <summary>Removes one distance previously added (deletion of a song).</summary>
    public void Remove(double value)
    {
        var v = CheckFinite(value);
        if (Count == 0)
        {
            throw new InvalidOperationException("Cannot remove a value from an empty sketch.");
        }

        Accumulate(value, -1);
        if (_knots is null)
        {
            var pos = UpperBound(_values.AsSpan(0, (int)Count), v) - 1;
            if (pos < 0 || _values[pos] != v)
            {
                throw new InvalidOperationException($"Value {value} is not in the sketch.");
            }

            Array.Copy(_values, pos + 1, _values, pos, (int)Count - pos - 1);
            Count--;
            return;
        }

        var counts = _counts!;
        var b = Bucket(v);
        var remaining = 1f;
        for (var step = 0; remaining > 0 && step <= counts.Length; step++)
        {
            // Take from bucket b, then alternately from its nearest neighbours.
            foreach (var candidate in new[] { b - step, b + step })
            {
                if (remaining > 0 && candidate >= 0 && candidate < counts.Length && counts[candidate] > 0)
                {
                    var take = Math.Min(remaining, counts[candidate]);
                    counts[candidate] -= take;
                    remaining -= take;
                }

                if (step == 0)
                {
                    break;
                }
            }
        }

        Count--;
    }

    /// <summary>
    /// Estimated count of values ≤ d (exact while <see cref="IsExact"/>). The probe is rounded to
    /// float32 first, like the stored values, so that a value compares equal to itself.
    /// </summary>
    public double CountAtMost(double value)
    {
        double d = (float)value;
        if (Count == 0)
        {
            return 0;
        }

        if (_knots is null)
        {
            return UpperBound(_values.AsSpan(0, (int)Count), d);
        }

        var knots = _knots;
        var counts = _counts!;
        var b = Bucket(d);
        double below = 0;
        for (var i = 0; i < b; i++)
        {
            below += counts[i];
        }

        double lo = b == 0 ? _min : knots[b - 1];
        double hi = b == knots.Length ? _max : knots[b];
        if (d >= hi)
        {
            return below + counts[b];
        }

        if (d < lo)
        {
            return below;
        }

        var fraction = hi > lo ? (d - lo) / (hi - lo) : 1.0;
        return below + (counts[b] * fraction);
    }

    /// <summary>F̂(d) = estimated share of values ≤ d (0 when empty).</summary>
    public double Cdf(double d) => Count == 0 ? 0 : Math.Clamp(CountAtMost(d) / Count, 0, 1);

    /// <summary>1 − F̂(d): estimated share of values strictly greater than d (1 when empty).</summary>
    public double Survival(double d) => Count == 0 ? 1 : 1 - Cdf(d);

    private static float CheckFinite(double value)
    {
        var v = (float)value;
        if (!float.IsFinite(v))
        {
            throw new ArgumentException($"Sketch values must be finite float32 numbers, got {value}.", nameof(value));
        }

        return v;
    }

    // First index whose value is > d.
    private static int UpperBound(ReadOnlySpan<float> sorted, double d)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= d)
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

    private void Accumulate(double value, int sign)
    {
        // Welford's update (and its exact reverse for removal).
        if (sign > 0)
        {
            var n = Count + 1;
            var delta = value - _mean;
            _mean += delta / n;
            _m2 += delta * (value - _mean);
        }
        else
        {
            var n = Count - 1;
            if (n == 0)
            {
                _mean = 0;
                _m2 = 0;
                return;
            }

            var meanBefore = ((_mean * Count) - value) / n;
            _m2 -= (value - meanBefore) * (value - _mean);
            _m2 = Math.Max(0, _m2);
            _mean = meanBefore;
        }
    }

    // Bucket of a value: first knot ≥ v (Q when above the last knot).
    private int Bucket(double v)
    {
        var knots = _knots!;
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

    private void PlaceKnotsExact(float[] sorted)
    {
        var n = sorted.Length;
        var knots = new float[_q];
        var counts = new float[_q + 1];
        for (var i = 0; i < _q; i++)
        {
            // Type-1 quantile: the smallest value whose empirical CDF reaches the level.
            var rank = (int)Math.Ceiling(Level(i, _q) * n) - 1;
            knots[i] = sorted[Math.Clamp(rank, 0, n - 1)];
        }

        var b = 0;
        foreach (var v in sorted)
        {
            while (b < _q && knots[b] < v)
            {
                b++;
            }

            counts[b] += 1;
        }

        _knots = knots;
        _counts = counts;
        _min = sorted[0];
        _max = sorted[^1];
        _knottedAt = n;
        _values = [];
    }

    private void Reknot()
    {
        var n = (double)Count;
        var knots = new float[_q];
        var counts = new float[_q + 1];
        double previous = 0;
        for (var i = 0; i < _q; i++)
        {
            knots[i] = (float)InverseCount(Level(i, _q) * n);
            var at = Math.Min(n, CountAtMost(knots[i]));
            counts[i] = (float)Math.Max(0, at - previous);
            previous = Math.Max(previous, at);
        }

        counts[_q] = (float)Math.Max(0, n - previous);
        _knots = knots;
        _counts = counts;
        _knottedAt = Count;
    }

    // Smallest d with CountAtMost(d) ≥ target, by walking the piecewise-linear estimate.
    private double InverseCount(double target)
    {
        var knots = _knots!;
        var counts = _counts!;
        double below = 0;
        for (var b = 0; b <= knots.Length; b++)
        {
            var c = counts[b];
            if (below + c >= target && c > 0)
            {
                double lo = b == 0 ? _min : knots[b - 1];
                double hi = b == knots.Length ? _max : knots[b];
                return lo + ((hi - lo) * Math.Clamp((target - below) / c, 0, 1));
            }

            below += c;
        }

        return _max;
    }
}
