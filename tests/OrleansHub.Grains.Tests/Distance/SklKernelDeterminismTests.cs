using FluentAssertions;
using OrleansHub.Grains.Distance;

namespace OrleansHub.Grains.Tests.Distance;

/// <summary>
/// Bit-exactness of the canonical order: every path, OneToMany, ManyToMany and the scalar
/// reference give the same float bits for the same (query,row) pair. Paths the CPU lacks are skipped.
/// </summary>
public sealed class SklKernelDeterminismTests
{
    private const int S = SklPacking.Stride;

    public static TheoryData<int> RowCounts => [0, 1, 2, 3, 4, 5, 15, 16, 17, 33, 255, 256, 257, 263, 512, 513, 515, 1031];

    [Theory]
    [MemberData(nameof(RowCounts))]
    public void OneToMany_EveryPath_BitIdenticalToScalarReference(int rowCount)
    {
        var random = new Random(100 + rowCount);
        var query = SklTestSupport.RandomFloats(random, S);
        var rows = SklTestSupport.RandomFloats(random, rowCount * S);
        var expected = new float[rowCount];
        for (var r = 0; r < rowCount; r++)
        {
            expected[r] = SklKernel.OneScalar(query, rows.AsSpan(r * S, S));
        }

        foreach (var path in SklTestSupport.AllPaths.Where(SklKernel.IsSupported))
        {
            var actual = new float[rowCount + 1];
            actual[rowCount] = 12345f;
            SklKernel.OneToManyOn(query, rows, actual, path);
            Bits(actual.AsSpan(0, rowCount)).Should().Equal(Bits(expected), $"path {path}");
            actual[rowCount].Should().Be(12345f, "only rowCount distances are written");
        }
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(5, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 4)]
    [InlineData(3, 17)]
    [InlineData(5, 33)]
    [InlineData(7, 15)]
    [InlineData(8, 16)]
    [InlineData(9, 263)]
    [InlineData(13, 520)]
    public void ManyToMany_EveryPath_BitIdenticalToOneToMany(int queryCount, int rowCount)
    {
        var random = new Random((queryCount * 1000) + rowCount);
        var queries = SklTestSupport.RandomFloats(random, queryCount * S);
        var rows = SklTestSupport.RandomFloats(random, rowCount * S);
        var expected = new float[queryCount * rowCount];
        for (var q = 0; q < queryCount; q++)
        {
            SklKernel.OneToManyOn(queries.AsSpan(q * S, S), rows, expected.AsSpan(q * rowCount, rowCount), SklKernel.Path.Scalar);
        }

        foreach (var path in SklTestSupport.AllPaths.Where(SklKernel.IsSupported))
        {
            var actual = new float[queryCount * rowCount];
            SklKernel.ManyToManyOn(queries, rows, actual, path);
            Bits(actual).Should().Equal(Bits(expected), $"path {path}");
        }

        var viaPublic = new float[queryCount * rowCount];
        SklKernel.ManyToMany(queries, rows, viaPublic);
        Bits(viaPublic).Should().Equal(Bits(expected), "public entry point");
    }

    [Fact]
    public void ManyToMany_BatchInsert_EqualsOneByOneInsert()
    {
        // Streaming engine contract: inserting songs n..n+k−1 as a batch gives the same bits
        // as inserting them one by one against the same earlier rows.
        var random = new Random(41);
        var songs = RandomGaussians.MfccList(random, 23);
        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var queries = SklPacking.PackQueries(songs, centre);
        const int Earlier = 17;
        var batch = new float[(songs.Count - Earlier) * Earlier];
        SklKernel.ManyToMany(queries.AsSpan(Earlier * S), rows.AsSpan(0, Earlier * S), batch);
        for (var i = Earlier; i < songs.Count; i++)
        {
            var single = new float[Earlier];
            SklKernel.OneToMany(queries.AsSpan(i * S, S), rows.AsSpan(0, Earlier * S), single);
            Bits(batch.AsSpan((i - Earlier) * Earlier, Earlier)).Should().Equal(Bits(single));
        }
    }

    [Fact]
    public void OneToMany_BadLengths_ThrowArgumentException()
    {
        var query = new float[S];
        var rows = new float[3 * S];
        Action shortQuery = () => SklKernel.OneToMany(new float[S - 1], rows, new float[3]);
        Action longQuery = () => SklKernel.OneToMany(new float[S + 1], rows, new float[3]);
        Action raggedRows = () => SklKernel.OneToMany(query, new float[(3 * S) - 1], new float[3]);
        Action shortDistances = () => SklKernel.OneToMany(query, rows, new float[2]);
        shortQuery.Should().Throw<ArgumentException>();
        longQuery.Should().Throw<ArgumentException>();
        raggedRows.Should().Throw<ArgumentException>();
        shortDistances.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void ManyToMany_BadLengths_ThrowArgumentException()
    {
        var queries = new float[2 * S];
        var rows = new float[3 * S];
        Action raggedQueries = () => SklKernel.ManyToMany(new float[(2 * S) + 1], rows, new float[6]);
        Action raggedRows = () => SklKernel.ManyToMany(queries, new float[(3 * S) + 7], new float[6]);
        Action shortDistances = () => SklKernel.ManyToMany(queries, rows, new float[5]);
        raggedQueries.Should().Throw<ArgumentException>();
        raggedRows.Should().Throw<ArgumentException>();
        shortDistances.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void OneScalar_ShortInput_ThrowsArgumentException()
    {
        Action act = () => SklKernel.OneScalar(new float[S - 1], new float[S]);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void BestPath_IsSupported()
    {
        SklKernel.IsSupported(SklKernel.BestPath).Should().BeTrue();
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        }

        return bits;
    }
}
