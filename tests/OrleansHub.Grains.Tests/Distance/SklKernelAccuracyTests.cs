using FluentAssertions;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Distance;

/// <summary>
/// The fast float32 kernel against the float64 <see cref="SklReference"/>, checked with the
/// documented bound |D̂ − D| ≤ 36·u·M (+ 1e-12·M float64 slack), see <see cref="SklKernel"/>.
/// </summary>
public sealed class SklKernelAccuracyTests
{
    public enum Kind
    {
        Mfcc,
        IllConditioned,
        NearSingular,
        Mixed,
    }

    [Theory]
    [InlineData(Kind.Mfcc, 21)]
    [InlineData(Kind.Mfcc, 22)]
    [InlineData(Kind.IllConditioned, 23)]
    [InlineData(Kind.NearSingular, 24)]
    [InlineData(Kind.Mixed, 25)]
    public void OneToMany_RandomGaussians_WithinDocumentedBound(Kind kind, int seed)
    {
        var random = new Random(seed);
        var songs = Enumerable.Range(0, 24).Select(i => Make(kind, random, i)).ToList();
        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var queries = SklPacking.PackQueries(songs, centre);
        var distances = new float[songs.Count];
        for (var x = 0; x < songs.Count; x++)
        {
            var query = queries.AsSpan(x * SklPacking.Stride, SklPacking.Stride);
            SklKernel.OneToMany(query, rows, distances);
            for (var t = 0; t < songs.Count; t++)
            {
                var row = rows.AsSpan(t * SklPacking.Stride, SklPacking.Stride);
                var exact = SklReference.Distance(songs[x], songs[t]);
                Math.Abs(distances[t] - exact).Should().BeLessThanOrEqualTo(
                    SklTestSupport.Bound(query, row), $"pair ({x},{t}) of kind {kind}, D = {exact}");
            }
        }
    }

    [Fact]
    public void OneToMany_RealisticMfcc_AbsoluteErrorIsSmall()
    {
        // With centred means, realistic songs have M of a few thousand at most: the absolute
        // error stays far below the distances that matter for ranking (tens).
        var random = new Random(26);
        var songs = RandomGaussians.MfccList(random, 30);
        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var distances = new float[songs.Count];
        for (var x = 0; x < songs.Count; x++)
        {
            SklKernel.OneToMany(SklTestSupport.Query(songs[x], centre), rows, distances);
            for (var t = 0; t < songs.Count; t++)
            {
                Math.Abs(distances[t] - SklReference.Distance(songs[x], songs[t])).Should().BeLessThan(0.05);
            }
        }
    }

    [Theory]
    [InlineData(Kind.Mfcc, 31)]
    [InlineData(Kind.IllConditioned, 32)]
    [InlineData(Kind.NearSingular, 33)]
    public void OneToMany_IdenticalSongs_DistanceNearZero(Kind kind, int seed)
    {
        var random = new Random(seed);
        var songs = Enumerable.Range(0, 8).Select(i => Make(kind, random, i)).ToList();
        var centre = SklPacking.Centre(songs);
        var one = new float[1];
        foreach (var g in songs)
        {
            var query = SklTestSupport.Query(g, centre);
            var row = SklTestSupport.Row(g, centre);
            SklKernel.OneToMany(query, row, one);
            ((double)Math.Abs(one[0])).Should().BeLessThanOrEqualTo(SklTestSupport.Bound(query, row));
        }
    }

    [Fact]
    public void OneToMany_FarSongs_LargeDistanceWithinBound()
    {
        var random = new Random(34);
        var a = RandomGaussians.Mfcc(random);
        var far = RandomGaussians.Shifted(RandomGaussians.Mfcc(random), 500);
        List<GaussianModel> songs = [a, far];
        var centre = SklPacking.Centre(songs);
        var query = SklTestSupport.Query(far, centre);
        var row = SklTestSupport.Row(a, centre);
        var one = new float[1];
        SklKernel.OneToMany(query, row, one);
        var exact = SklReference.Distance(far, a);
        exact.Should().BeGreaterThan(1000);
        Math.Abs(one[0] - exact).Should().BeLessThanOrEqualTo(SklTestSupport.Bound(query, row));
        Math.Abs(one[0] - exact).Should().BeLessThan(1e-4 * exact, "far songs keep a small relative error");
    }

    [Fact]
    public void OneScalar_RandomGaussians_MatchesOneToMany()
    {
        var random = new Random(35);
        var songs = RandomGaussians.MfccList(random, 5);
        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var distances = new float[5];
        var query = SklTestSupport.Query(songs[0], centre);
        SklKernel.OneToMany(query, rows, distances);
        for (var t = 0; t < 5; t++)
        {
            var scalar = SklKernel.OneScalar(query, rows.AsSpan(t * SklPacking.Stride, SklPacking.Stride));
            BitConverter.SingleToInt32Bits(scalar).Should().Be(BitConverter.SingleToInt32Bits(distances[t]));
        }
    }

    private static GaussianModel Make(Kind kind, Random random, int index) => kind switch
    {
        Kind.Mfcc => RandomGaussians.Mfcc(random),
        Kind.IllConditioned => RandomGaussians.IllConditioned(random),
        Kind.NearSingular => RandomGaussians.NearSingular(random, 2 + (index % 10)),
        _ => (index % 3) switch
        {
            0 => RandomGaussians.Mfcc(random),
            1 => RandomGaussians.IllConditioned(random, 1e-2, 1e3),
            _ => RandomGaussians.NearSingular(random),
        },
    };
}
