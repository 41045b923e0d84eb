using FluentAssertions;
using OrleansHub.Grains.Analysis;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Analysis;

public sealed class SampledExactTests
{
    /// <summary>
    /// 300 synthetic songs with a few exact duplicates (equal float32 distances, so ties in every
    /// count), 100 sampled songs (two groups of 64 thresholds), odd block sizes and 1 or 2 threads:
    /// every count, distance and list equals plain loops over the full matrix.
    /// </summary>
    [Theory]
    [InlineData(7, 1)]
    [InlineData(64, -1)]
    [InlineData(500, 2)]
    public void Compute_EqualsPlainLoopsOverTheFullMatrix(int block, int threads)
    {
        var songs = Catalogue(300);
        var n = songs.Count;
        var rows = SklPacking.PackRows(songs, SklPacking.Centre(songs));
        var full = SklMatrix.AllPairs(songs);
        var d = new double[n, n];
        for (var x = 0; x < n; x++)
        {
            for (var t = 0; t < n; t++)
            {
                d[x, t] = full[(x * n) + t];
            }
        }

        var sample = MutualProximity.Sample(n, 98, 5).Concat([0, n - 1]).Distinct().ToArray();
        sample.Should().HaveCount(100);
        var result = SampledExact.Compute(rows, sample, 5, threads, block);

        result.Count.Should().Be(n);
        result.Sample.Should().BeInAscendingOrder().And.BeEquivalentTo(sample);
        for (var i = 0; i < result.Sample.Count; i++)
        {
            var s = result.Sample[i];
            for (var t = 0; t < n; t++)
            {
                result.Distance(i, t).Should().Be((float)d[s, t]);
                if (t == s)
                {
                    continue;
                }

                result.Greater(i, t).Should().Be(Farther(d, s, d[s, t]), "G[{0}, {1}]", s, t);
                result.GreaterTo(i, t).Should().Be(Farther(d, t, d[t, s]), "G[{0}, {1}]", t, s);
            }

            result.SklList(i).Should().Equal(PlainReference.KnnOf(d, s, 5, (x, t) => PlainReference.Distance(d, x, t)), "SKL list of {0}", s);
            result.MpIndependentList(i).Should().Equal(PlainReference.KnnOf(d, s, 5, (x, t) => PlainReference.IndependentScaled(d, x, t)), "mp-independent list of {0}", s);
            result.MpIndependentScore(i, result.MpIndependentList(i)[0]).Should().Be(PlainReference.IndependentScaled(d, s, result.MpIndependentList(i)[0]));
        }
    }

    [Fact]
    public void Compute_AgreesWithTheFullMatrixScorer_OnEverySong()
    {
        var songs = Catalogue(90);
        var rows = SklPacking.PackRows(songs, SklPacking.Centre(songs));
        var matrix = DistanceMatrix.Create(SklMatrix.AllPairs(songs), songs.Count);
        var all = Enumerable.Range(0, songs.Count).ToArray();
        var result = SampledExact.Compute(rows, all, 5);
        var skl = MutualProximity.Neighbours(matrix, Method.None, 5);
        var ind = MutualProximity.Neighbours(matrix, Method.MpIndependent, 5);
        var scorer = MutualProximity.CreateScorer(matrix, Method.MpIndependent);
        for (var x = 0; x < songs.Count; x++)
        {
            result.SklList(x).Should().Equal(skl[x].ToArray());
            result.MpIndependentList(x).Should().Equal(ind[x].ToArray());
            for (var t = 0; t < songs.Count; t++)
            {
                if (t != x)
                {
                    result.MpIndependentScore(x, t).Should().Be(scorer.Score(x, t));
                }
            }
        }
    }

    [Fact]
    public void Compute_RejectsBadInput()
    {
        var songs = Catalogue(10);
        var rows = SklPacking.PackRows(songs, SklPacking.Centre(songs));
        FluentActions.Invoking(() => SampledExact.Compute(rows, [1, 1], 5)).Should().Throw<ArgumentException>().WithMessage("*distinct*");
        FluentActions.Invoking(() => SampledExact.Compute(rows, [10], 5)).Should().Throw<ArgumentException>().WithMessage("*below 10*");
        FluentActions.Invoking(() => SampledExact.Compute(rows[1..], [0], 5)).Should().Throw<ArgumentException>().WithMessage("*whole number*");
        FluentActions.Invoking(() => SampledExact.Compute(rows, [0], 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => SampledExact.Compute(rows, [0], 5, 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    /// <summary>Synthetic songs with every 37th song repeated right after it (exact duplicates).</summary>
    private static List<GaussianModel> Catalogue(int n)
    {
        var generated = SyntheticCatalogue.Generate(n, 17);
        var songs = new List<GaussianModel>(n);
        for (var i = 0; songs.Count < n; i++)
        {
            songs.Add(generated[i].Model);
            if (i % 37 == 5 && songs.Count < n)
            {
                songs.Add(generated[i].Model);
            }
        }

        return songs;
    }

    /// <summary>Songs other than x strictly farther from x than v (plain loop).</summary>
    private static int Farther(double[,] d, int x, double v)
    {
        var count = 0;
        for (var u = 0; u < d.GetLength(0); u++)
        {
            if (u != x && d[x, u] > v)
            {
                count++;
            }
        }

        return count;
    }
}
