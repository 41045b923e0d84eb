using FluentAssertions;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Distance;

public sealed class SklPackingTests
{
    private const int D = GaussianModel.Dimension;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PackedExactDot_RandomGaussians_ReproducesReference(int seed)
    {
        // Exact (float64) packing: Q·W/4 − 10 is an algebraic identity for D_SKL, so only
        // float64 rounding separates it from the reference: tolerance 1e-9 relative to M.
        var random = new Random(seed);
        var songs = RandomGaussians.MfccList(random, 12);
        songs.Add(RandomGaussians.IllConditioned(random));
        songs.Add(RandomGaussians.NearSingular(random));
        var centre = SklPacking.Centre(songs);
        foreach (var x in songs)
        {
            foreach (var t in songs)
            {
                var (packed, magnitude) = ExactPackedDistance(x, t, centre);
                packed.Should().BeApproximately(SklReference.Distance(x, t), 1e-9 * magnitude);
            }
        }
    }

    [Fact]
    public void PackedExactDot_DifferentCentres_GiveTheSameDistance()
    {
        // Centring invariance: translating all means by one vector leaves SKL unchanged.
        var random = new Random(7);
        var songs = RandomGaussians.MfccList(random, 6);
        var zero = new double[D];
        var centre = SklPacking.Centre(songs);
        var odd = Enumerable.Range(0, D).Select(i => (i * 37.0) - 250).ToArray();
        foreach (var x in songs)
        {
            foreach (var t in songs)
            {
                var (a, ma) = ExactPackedDistance(x, t, zero);
                var (b, _) = ExactPackedDistance(x, t, centre);
                var (c, _) = ExactPackedDistance(x, t, odd);
                b.Should().BeApproximately(a, 1e-9 * ma);
                c.Should().BeApproximately(a, 1e-9 * ma);
            }
        }
    }

    [Fact]
    public void PackedFloat_CentredVersusUncentred_CentredIsAtLeastAsAccurate()
    {
        // Centring cuts the magnitude M that bounds the float32 error (c0 means near −300).
        var random = new Random(8);
        var songs = RandomGaussians.MfccList(random, 20);
        var centre = SklPacking.Centre(songs);
        var zero = new double[D];
        double centredM = 0, rawM = 0;
        foreach (var x in songs)
        {
            foreach (var t in songs)
            {
                centredM += SklTestSupport.Magnitude(SklTestSupport.Query(x, centre), SklTestSupport.Row(t, centre));
                rawM += SklTestSupport.Magnitude(SklTestSupport.Query(x, zero), SklTestSupport.Row(t, zero));
            }
        }

        centredM.Should().BeLessThan(rawM);
    }

    [Fact]
    public void Centre_EmptyList_IsZeros()
    {
        SklPacking.Centre([]).Should().Equal(new double[D]);
    }

    [Fact]
    public void Centre_TwoSongs_IsMeanOfMeans()
    {
        var random = new Random(9);
        var a = RandomGaussians.Mfcc(random);
        var b = RandomGaussians.Mfcc(random);
        var centre = SklPacking.Centre([a, b]);
        for (var i = 0; i < D; i++)
        {
            centre[i].Should().BeApproximately((a.Mean[i] + b.Mean[i]) / 2, 1e-12);
        }
    }

    [Fact]
    public void PackRow_Layout_HasConstantSlotsAndZeroPadding()
    {
        var g = RandomGaussians.Mfcc(new Random(10));
        var centre = new double[D];
        var row = SklTestSupport.Row(g, centre);
        var query = SklTestSupport.Query(g, centre);
        row[461].Should().Be(1f);
        row[462].Should().Be(0f);
        row[463].Should().Be(0f);
        query[460].Should().Be(1f);
        query[462].Should().Be(0f);
        query[463].Should().Be(0f);
        row[0].Should().Be((float)g.InverseCovariance[0]);
        row[1].Should().Be((float)g.InverseCovariance[1]);
        query[210].Should().Be((float)g.InverseCovariance[0]);
        query[211].Should().Be((float)(2 * g.InverseCovariance[1]));
        row[440].Should().Be((float)g.Mean[0]);
        query[420].Should().Be((float)(-2 * g.Mean[0]));
    }

    [Fact]
    public void PackRowsAndQueries_EmptyList_AreEmpty()
    {
        SklPacking.PackRows([], new double[D]).Should().BeEmpty();
        SklPacking.PackQueries([], new double[D]).Should().BeEmpty();
    }

    [Fact]
    public void PackRows_ManySongs_EqualsPackRowPerSong()
    {
        var random = new Random(11);
        var songs = RandomGaussians.MfccList(random, 3);
        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var queries = SklPacking.PackQueries(songs, centre);
        rows.Length.Should().Be(3 * SklPacking.Stride);
        for (var i = 0; i < 3; i++)
        {
            rows.AsSpan(i * SklPacking.Stride, SklPacking.Stride).ToArray().Should().Equal(SklTestSupport.Row(songs[i], centre));
            queries.AsSpan(i * SklPacking.Stride, SklPacking.Stride).ToArray().Should().Equal(SklTestSupport.Query(songs[i], centre));
        }
    }

    [Fact]
    public void PackRow_BadLengths_Throw()
    {
        var g = RandomGaussians.Mfcc(new Random(12));
        var act1 = () => SklPacking.PackRow(g, new double[D], new float[SklPacking.Stride - 1]);
        var act2 = () => SklPacking.PackQuery(g, new double[D - 1], new float[SklPacking.Stride]);
        var act3 = () => SklPacking.PackRows([g], new double[D + 1]);
        act1.Should().Throw<ArgumentException>();
        act2.Should().Throw<ArgumentException>();
        act3.Should().Throw<ArgumentException>();
    }

    private static (double Distance, double Magnitude) ExactPackedDistance(GaussianModel x, GaussianModel t, double[] centre)
    {
        var q = new double[SklPacking.Stride];
        var w = new double[SklPacking.Stride];
        SklPacking.PackQueryExact(x, centre, q);
        SklPacking.PackRowExact(t, centre, w);
        double dot = 0, m = 0;
        for (var i = 0; i < SklPacking.Stride; i++)
        {
            dot += q[i] * w[i];
            m += Math.Abs(q[i] * w[i]);
        }

        return ((dot / 4) - 10, m / 4);
    }
}
