using FluentAssertions;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Tests.Analysis;

public sealed class QuantileSketchTests
{
    [Fact]
    public void Sketch_FewerValuesThanKnots_IsExact()
    {
        var sketch = new QuantileSketch(16);
        double[] values = [5, 1, 3, 3, 9, 7];
        foreach (var v in values)
        {
            sketch.Add(v);
        }

        sketch.IsExact.Should().BeTrue();
        foreach (var probe in new[] { 0.5, 1, 2, 3, 3.5, 9, 10 })
        {
            sketch.CountAtMost(probe).Should().Be(values.Count(v => v <= probe));
        }

        sketch.Mean.Should().BeApproximately(values.Average(), 1e-12);
        sketch.PopulationVariance.Should().BeApproximately(values.Sum(v => Math.Pow(v - values.Average(), 2)) / values.Length, 1e-12);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(256)]
    public void Sketch_StreamedLogNormal_CdfWithinThreeOverQ(int q)
    {
        // Knot levels ((i+1)/Q)³ are at most 3/Q apart in probability, so a bucket holds at most
        // a 3/Q share; interpolation inside one bucket cannot be further off than that.
        var tolerance = 3.0 / q;
        var rng = new Random(q);
        var values = Enumerable.Range(0, 20_000).Select(_ => Math.Exp(2 * Gaussian(rng))).ToArray();
        var sketch = QuantileSketch.FromValues(values.AsSpan(0, 100), q);
        foreach (var v in values.Skip(100))
        {
            sketch.Add(v);
        }

        var sorted = values.OrderBy(v => v).ToArray();
        var worst = 0.0;
        for (var p = 0.001; p < 1; p += 0.01)
        {
            var probe = sorted[(int)(p * sorted.Length)];
            var exact = (double)sorted.Count(v => v <= probe) / sorted.Length;
            worst = Math.Max(worst, Math.Abs(sketch.Cdf(probe) - exact));
        }

        worst.Should().BeLessThan(tolerance);
        sketch.Count.Should().Be(values.Length);
        sketch.Mean.Should().BeApproximately(values.Average(), 1e-9 * values.Average());
    }

    [Fact]
    public void Sketch_AddThenRemove_RestoresCountsAndMoments()
    {
        var rng = new Random(3);
        var baseValues = Enumerable.Range(0, 500).Select(_ => rng.NextDouble() * 100).ToArray();
        var sketch = QuantileSketch.FromValues(baseValues, 32);
        var before = Enumerable.Range(0, 101).Select(i => sketch.CountAtMost(i)).ToArray();
        var extra = Enumerable.Range(0, 50).Select(_ => rng.NextDouble() * 100).ToArray();
        foreach (var v in extra)
        {
            sketch.Add(v);
        }

        foreach (var v in extra)
        {
            sketch.Remove(v);
        }

        sketch.Count.Should().Be(500);
        Enumerable.Range(0, 101).Select(i => sketch.CountAtMost(i)).Should().Equal(before);
        sketch.Mean.Should().BeApproximately(baseValues.Average(), 1e-9);
    }

    [Fact]
    public void Sketch_ExactModeRemoveOfUnknownValue_Throws()
    {
        var sketch = new QuantileSketch(8);
        sketch.Add(1);
        var act = () => sketch.Remove(2);
        act.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Sketch_NonFinite_IsRejected()
    {
        var sketch = new QuantileSketch(8);
        var act = () => sketch.Add(double.NaN);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Sketch_ManyDuplicates_StaysMonotoneAndBounded()
    {
        var sketch = new QuantileSketch(16);
        for (var i = 0; i < 5000; i++)
        {
            sketch.Add(i % 3);
        }

        var previous = -1.0;
        foreach (var probe in new[] { -1, 0, 0.5, 1, 1.5, 2, 3 })
        {
            var f = sketch.Cdf(probe);
            f.Should().BeInRange(0, 1).And.BeGreaterThanOrEqualTo(previous);
            previous = f;
        }

        sketch.Cdf(2).Should().Be(1);
        sketch.Cdf(-1).Should().Be(0);
    }

    [Fact]
    public void AddRange_AcrossExactModeAndReknots_SameBitsAsAddOneByOne()
    {
        // 3,000 log-normal values in uneven runs: the first run crosses N = Q (exact → knotted) and
        // later runs cross several re-knots (N doubling) in the middle of a run.
        const int Q = 16;
        var rng = new Random(11);
        var values = Enumerable.Range(0, 3_000).Select(_ => (float)Math.Exp(rng.NextDouble() * 4)).ToArray();
        var h1 = AddRangeMatchesAdd(Q, values, [40, 1, 0, 7, 300, 652, 2_000]);
        h1.KnottedAt.Should().BeGreaterThan(Q * 64, "several re-knots happened");
    }

    /// <summary>Feeds the values one by one into one sketch and in the given runs (then the rest) into another; asserts the same bits and returns the header.</summary>
    internal static SketchHeader AddRangeMatchesAdd(int q, float[] values, int[] runs)
    {
        float[] k1 = new float[q], c1 = new float[q + 1], k2 = new float[q], c2 = new float[q + 1];
        SketchHeader h1 = SketchHeader.Empty, h2 = SketchHeader.Empty;
        foreach (var v in values)
        {
            SketchOps.Add(k1, c1, ref h1, v);
        }

        var at = 0;
        foreach (var run in runs)
        {
            SketchOps.AddRange(k2, c2, ref h2, values.AsSpan(at, run));
            at += run;
        }

        SketchOps.AddRange(k2, c2, ref h2, values.AsSpan(at));
        k2.Select(BitConverter.SingleToInt32Bits).Should().Equal(k1.Select(BitConverter.SingleToInt32Bits));
        c2.Select(BitConverter.SingleToInt32Bits).Should().Equal(c1.Select(BitConverter.SingleToInt32Bits));
        h2.Should().Be(h1);
        return h1;
    }

    [Fact]
    public void Sketch_SameCalls_GiveSameBits()
    {
        static QuantileSketch Build()
        {
            var rng = new Random(9);
            var s = new QuantileSketch(64);
            for (var i = 0; i < 3000; i++)
            {
                s.Add(Math.Exp(Gaussian(rng)));
            }

            return s;
        }

        var a = Build();
        var b = Build();
        for (var p = 0.0; p < 10; p += 0.37)
        {
            a.Cdf(p).Should().Be(b.Cdf(p));
        }
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

public sealed class KnotTableTests
{
    [Fact]
    public void Bucket_RandomAndEdgeValues_EqualsSketchOpsBucket()
    {
        var rng = new Random(3);
        var table = new KnotTable();
        for (var round = 0; round < 40; round++)
        {
            var q = round % 5 == 0 ? 2 : 64;
            var knots = Enumerable.Range(0, q).Select(_ => (float)Math.Exp((rng.NextDouble() * 12) - 4)).ToList();
            if (round % 3 == 0)
            {
                knots.AddRange(knots.Take(4));             // duplicate knots
                knots[0] = 0f;                               // a knot at +0
            }

            if (round % 7 == 0)
            {
                knots[1] = -1.5f;                            // a negative knot: table unusable, exact fallback
            }

            var sorted = knots.Order().ToArray();
            if (round % 11 == 6)
            {
                (sorted[3], sorted[4]) = (sorted[4] + 1, sorted[3]);   // unsorted: exact fallback
            }

            table.Build(sorted);
            var probes = Enumerable.Range(0, 3_000).Select(_ => (float)Math.Exp((rng.NextDouble() * 14) - 5)).ToList();
            probes.AddRange(sorted);                         // exactly at knots
            probes.AddRange(sorted.Select(k => MathF.BitIncrement(k)));
            probes.AddRange(sorted.Select(k => MathF.BitDecrement(k)));
            probes.AddRange([0f, -0f, -2f, float.Epsilon, float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN]);
            foreach (var v in probes)
            {
                table.Bucket(v).Should().Be(SketchOps.Bucket(sorted, v), $"round {round}, v = {v}");
            }

            // The row form used by the engine: every third value belongs to a deleted song, NaN is skipped.
            var values = probes.ToArray();
            var alive = values.Select((_, i) => i % 3 != 0).ToArray();
            var counts = new int[sorted.Length + 1];
            table.Count(values, alive, counts);
            var expected = new int[sorted.Length + 1];
            for (var i = 0; i < values.Length; i++)
            {
                if (alive[i] && !float.IsNaN(values[i]))
                {
                    expected[SketchOps.Bucket(sorted, values[i])]++;
                }
            }

            counts.Should().Equal(expected, $"round {round}");
        }
    }
}

public sealed class BucketSearchTests
{
    [Fact]
    public void Buckets_RandomAndEdgeValues_EqualPlainCountOfSmallerKnots()
    {
        var rng = new Random(5);
        var sizes = new[] { 2, 5, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100 };
        for (var round = 0; round < 72; round++)
        {
            var q = sizes[round % sizes.Length];
            var knots = Enumerable.Range(0, q).Select(_ => (float)Math.Exp((rng.NextDouble() * 12) - 4)).ToArray();
            if (round % 3 == 0)
            {
                knots[^1] = knots[0];                        // a duplicate knot
                knots[1] = 0f;                               // knots at ±0 and below zero
                knots[^2] = -0f;
                knots[0] = -1.5f;
            }

            Array.Sort(knots);
            var unsorted = round % 7 == 3 && q > 4;
            if (unsorted)
            {
                (knots[2], knots[3]) = (knots[3] + 1, knots[2]);
            }

            var probes = Enumerable.Range(0, 1_000 + round).Select(_ => (float)Math.Exp((rng.NextDouble() * 14) - 5)).ToList();
            probes.AddRange(knots);                          // exactly at knots
            probes.AddRange(knots.Select(k => MathF.BitIncrement(k)));
            probes.AddRange(knots.Select(k => MathF.BitDecrement(k)));
            probes.AddRange([0f, -0f, -2f, float.Epsilon, float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN]);
            var values = probes.ToArray();

            var search = new BucketSearch(knots);
            search.IsVectorised.Should().Be(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && q <= BucketSearch.MaxKnots && !unsorted, $"round {round}, Q = {q}");
            var buckets = new int[values.Length];
            search.Buckets(values, buckets);
            for (var i = 0; i < values.Length; i++)
            {
                var v = values[i];
                var expected = 0;
                foreach (var k in knots)
                {
                    if (k < v)
                    {
                        expected++;
                    }
                }

                buckets[i].Should().Be(expected, $"round {round}, Q = {q}, v = {v}");
            }
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(80)]
    public void AddRange_LongRunsAcrossReknots_SameBitsAsAddOneByOne(int q)
    {
        var rng = new Random(q);
        var values = Enumerable.Range(0, 20_000).Select(_ => (float)Math.Exp(rng.NextDouble() * 6)).ToArray();
        QuantileSketchTests.AddRangeMatchesAdd(q, values, [3, q, 250, 17, 1_000, 257, 18_473 - (3 * q)]);
    }

    [Fact]
    public void AddRange_NonFiniteValue_ThrowsWithEarlierValuesCounted()
    {
        var rng = new Random(2);
        float[] knots = new float[16], counts = new float[17];
        var header = SketchHeader.Empty;
        SketchOps.AddRange(knots, counts, ref header, Enumerable.Range(0, 100).Select(_ => (float)rng.NextDouble()).ToArray());
        var act = () => SketchOps.AddRange(knots, counts, ref header, new[] { 0.5f, 0.25f, float.NaN, 0.75f });
        act.Should().Throw<ArgumentException>();
        header.Count.Should().Be(102);
        counts.Sum().Should().Be(102);
    }
}
