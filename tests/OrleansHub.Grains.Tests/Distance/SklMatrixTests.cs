using FluentAssertions;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Distance;

public sealed class SklMatrixTests
{
    private const int S = SklPacking.Stride;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(70)]
    [InlineData(131)]
    public void AllPairs_RandomCatalogue_SymmetricZeroDiagonalAndCanonicalOneToMany(int n)
    {
        var random = new Random(200 + n);
        var songs = RandomGaussians.MfccList(random, n);
        var matrix = SklMatrix.AllPairs(songs);
        matrix.Length.Should().Be(n * n);

        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var queries = SklPacking.PackQueries(songs, centre);
        for (var i = 0; i < n; i++)
        {
            matrix[(i * n) + i].Should().Be(0.0);
            var line = new float[i];
            SklKernel.OneToMany(queries.AsSpan(i * S, S), rows.AsSpan(0, i * S), line);
            for (var j = 0; j < i; j++)
            {
                matrix[(i * n) + j].Should().Be(line[j], "d(i,j) = kernel(query = later, row = earlier)");
                matrix[(j * n) + i].Should().Be(matrix[(i * n) + j]);
            }
        }
    }

    [Fact]
    public void AllPairs_AnyDegreeOfParallelism_IdenticalResult()
    {
        var songs = RandomGaussians.MfccList(new Random(210), 150);
        var serial = SklMatrix.AllPairs(songs, 1);
        SklMatrix.AllPairs(songs, 2).Should().Equal(serial);
        SklMatrix.AllPairs(songs, 3).Should().Equal(serial);
        SklMatrix.AllPairs(songs).Should().Equal(serial);
    }

    [Fact]
    public void AllPairs_RandomCatalogue_CloseToReference()
    {
        var songs = RandomGaussians.MfccList(new Random(211), 20);
        var matrix = SklMatrix.AllPairs(songs);
        for (var i = 0; i < songs.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                matrix[(i * songs.Count) + j].Should().BeApproximately(SklReference.Distance(songs[i], songs[j]), 0.05);
            }
        }
    }

    [Fact]
    public void AllPairs_InvalidParallelism_Throws()
    {
        List<GaussianModel> songs = [];
        Action zero = () => SklMatrix.AllPairs(songs, 0);
        Action negative = () => SklMatrix.AllPairs(songs, -2);
        zero.Should().Throw<ArgumentOutOfRangeException>();
        negative.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void EarlierRow_EveryIndex_EqualsAllPairsRow()
    {
        var songs = RandomGaussians.MfccList(new Random(212), 40);
        var n = songs.Count;
        var matrix = SklMatrix.AllPairs(songs);
        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var queries = SklPacking.PackQueries(songs, centre);
        for (var i = 0; i < n; i++)
        {
            var line = new float[i];
            SklMatrix.EarlierRow(queries, rows, i, line);
            for (var j = 0; j < i; j++)
            {
                ((double)line[j]).Should().Be(matrix[(i * n) + j]);
            }
        }
    }

    [Fact]
    public void EarlierRow_BadArguments_Throw()
    {
        var queries = new float[3 * S];
        var rows = new float[2 * S];
        Action negative = () => SklMatrix.EarlierRow(queries, rows, -1, []);
        Action missingQuery = () => SklMatrix.EarlierRow(queries, rows, 3, new float[3]);
        Action missingRows = () => SklMatrix.EarlierRow(queries, new float[S], 2, new float[2]);
        Action wrongDistances = () => SklMatrix.EarlierRow(queries, rows, 2, new float[3]);
        negative.Should().Throw<ArgumentException>();
        missingQuery.Should().Throw<ArgumentException>();
        missingRows.Should().Throw<ArgumentException>();
        wrongDistances.Should().Throw<ArgumentException>();
    }
}
