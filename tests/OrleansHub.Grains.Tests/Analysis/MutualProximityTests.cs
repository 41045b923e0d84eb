using FluentAssertions;
using OrleansHub.Grains.Analysis;

namespace OrleansHub.Grains.Tests.Analysis;

public sealed class MutualProximityTests
{
    public static TheoryData<string, double[,], int> Matrices()
    {
        var data = new TheoryData<string, double[,], int>();
        foreach (var c in TestMatrices.Cases())
        {
            var d = (double[,])c[1];
            foreach (var k in new[] { 1, 5, 10 })
            {
                data.Add((string)c[0], d, k);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void None_AnyMatrix_EqualsFullSortReference(string name, double[,] d, int k)
    {
        var fast = MutualProximity.Neighbours(TestMatrices.ToMatrix(d), Method.None, k);
        var expected = PlainReference.Knn(d, k, (x, t) => PlainReference.Distance(d, x, t));
        AssertLists(fast, expected, name);
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Empiric_AnyMatrix_EqualsLiteralSetCountingReference(string name, double[,] d, int k)
    {
        var fast = MutualProximity.Neighbours(TestMatrices.ToMatrix(d), Method.MpEmpiric, k);
        var expected = PlainReference.Knn(d, k, (x, t) => PlainReference.EmpiricCount(d, x, t));
        AssertLists(fast, expected, name);
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Empiric_SingleThreadAndParallel_GiveTheSameLists(string name, double[,] d, int k)
    {
        var matrix = TestMatrices.ToMatrix(d);
        var one = MutualProximity.Neighbours(matrix, Method.MpEmpiric, k, new MpOptions(MaxDegreeOfParallelism: 1));
        var many = MutualProximity.Neighbours(matrix, Method.MpEmpiric, k, new MpOptions(MaxDegreeOfParallelism: 4));
        one.Flat.ToArray().Should().Equal(many.Flat.ToArray(), name);
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Independent_AnyMatrix_EqualsEmpiricalCdfReference(string name, double[,] d, int k)
    {
        var fast = MutualProximity.Neighbours(TestMatrices.ToMatrix(d), Method.MpIndependent, k);
        var expected = PlainReference.Knn(d, k, (x, t) => PlainReference.IndependentScaled(d, x, t));
        AssertLists(fast, expected, name);
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Normal_AnyMatrix_EqualsMomentReference(string name, double[,] d, int k)
    {
        var n = d.GetLength(0);
        var moments = Enumerable.Range(0, n).Select(x => PlainReference.Moments(d, x)).ToArray();
        var fast = MutualProximity.Neighbours(TestMatrices.ToMatrix(d), Method.MpNormal, k);
        var expected = PlainReference.Knn(d, k, (x, t) =>
            PlainReference.NormalSf(d[x, t], moments[x].Mean, moments[x].Sd) * PlainReference.NormalSf(d[t, x], moments[t].Mean, moments[t].Sd));
        AssertLists(fast, expected, name);
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Sampled_AnyMatrix_EqualsReferenceOnTheSameSample(string name, double[,] d, int k)
    {
        var n = d.GetLength(0);
        const int s = 25;
        var sample = MutualProximity.Sample(n, s, 7);
        sample.Should().OnlyHaveUniqueItems().And.HaveCount(Math.Min(s, n)).And.OnlyContain(i => i >= 0 && i < n);
        double Survival(int x, double v)
        {
            var others = sample.Where(j => j != x).ToArray();
            return others.Length == 0 ? 1 : (double)others.Count(j => d[x, j] > v) / others.Length;
        }

        var fast = MutualProximity.Neighbours(TestMatrices.ToMatrix(d), Method.MpSampled, k, new MpOptions(Samples: s, Seed: 7));
        var expected = PlainReference.Knn(d, k, (x, t) => Survival(x, d[x, t]) * Survival(t, d[t, x]));
        AssertLists(fast, expected, name);
    }

    [Fact]
    public void Sample_SameSeed_IsReproducibleAndSeedsDiffer()
    {
        MutualProximity.Sample(5000, 1000, 1).Should().Equal(MutualProximity.Sample(5000, 1000, 1));
        MutualProximity.Sample(5000, 1000, 1).Should().NotEqual(MutualProximity.Sample(5000, 1000, 2));
        MutualProximity.Sample(10, 1000, 1).Should().Equal(Enumerable.Range(0, 10));
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Quantile_SmallCatalogue_IsExactAndEqualsIndependent(string name, double[,] d, int k)
    {
        // With n − 1 ≤ Q every sketch still stores its values, so mp-quantile must equal
        // mp-independent on distances that float32 (the sketch's storage) represents exactly.
        var rounded = (double[,])d.Clone();
        for (var i = 0; i < d.GetLength(0); i++)
        {
            for (var j = 0; j < d.GetLength(1); j++)
            {
                rounded[i, j] = (float)d[i, j];
            }
        }

        var matrix = TestMatrices.ToMatrix(rounded);
        var options = new MpOptions(Quantiles: Math.Max(2, d.GetLength(0)));
        var quantile = MutualProximity.Neighbours(matrix, Method.MpQuantile, k, options);
        var independent = MutualProximity.Neighbours(matrix, Method.MpIndependent, k);
        quantile.Flat.ToArray().Should().Equal(independent.Flat.ToArray(), name);
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Quantile_Sketched_EqualsFullSortOverTheSketchEstimates(string name, double[,] d, int k)
    {
        var matrix = TestMatrices.ToMatrix(d);
        var sketches = MutualProximity.StreamSketches(matrix, 8);
        var fast = MutualProximity.Neighbours(matrix, Method.MpQuantile, k, new MpOptions(Quantiles: 8));
        var expected = PlainReference.Knn(d, k, (x, t) => sketches[x].Survival(d[x, t]) * sketches[t].Survival(d[t, x]));
        AssertLists(fast, expected, name);
    }

    [Fact]
    public void Quantile_MoreKnots_RecallAgainstIndependentDoesNotCollapse()
    {
        var d = TestMatrices.HeavyTailed(400, 11);
        var matrix = TestMatrices.ToMatrix(d);
        var reference = MutualProximity.CreateScorer(matrix, Method.MpIndependent);
        var referenceLists = MutualProximity.Neighbours(matrix, Method.MpIndependent, 5);
        var recall16 = MutualProximity.TieTolerantRecall(MutualProximity.Neighbours(matrix, Method.MpQuantile, 5, new MpOptions(Quantiles: 16)), referenceLists, reference);
        var recall128 = MutualProximity.TieTolerantRecall(MutualProximity.Neighbours(matrix, Method.MpQuantile, 5, new MpOptions(Quantiles: 128)), referenceLists, reference);
        recall16.Should().BeGreaterThan(0.8);
        recall128.Should().BeGreaterThan(0.9).And.BeGreaterThanOrEqualTo(recall16 - 0.02);
    }

    [Fact]
    public void TieTolerantRecall_ListsOfTheReferenceItself_IsOne()
    {
        var d = TestMatrices.ManyTies(60, 12);
        var matrix = TestMatrices.ToMatrix(d);
        var scorer = MutualProximity.CreateScorer(matrix, Method.MpEmpiric);
        var lists = MutualProximity.Neighbours(matrix, Method.MpEmpiric, 5);
        MutualProximity.TieTolerantRecall(lists, lists, scorer).Should().Be(1.0);
    }

    [Fact]
    public void TieTolerantRecall_PlainCount_MatchesDefinition()
    {
        var d = TestMatrices.Euclidean(80, 13);
        var matrix = TestMatrices.ToMatrix(d);
        var scorer = MutualProximity.CreateScorer(matrix, Method.MpEmpiric);
        var exact = MutualProximity.Neighbours(matrix, Method.MpEmpiric, 5);
        var other = MutualProximity.Neighbours(matrix, Method.None, 5);
        double hits = 0;
        for (var x = 0; x < 80; x++)
        {
            var kth = PlainReference.EmpiricCount(d, x, exact[x][4]);
            hits += other[x].ToArray().Count(t => PlainReference.EmpiricCount(d, x, t) >= kth);
        }

        MutualProximity.TieTolerantRecall(other, exact, scorer).Should().Be(hits / (80 * 5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AllMethods_CatalogueTooSmallForK_GiveListsOfNMinusOne(int n)
    {
        var matrix = TestMatrices.ToMatrix(TestMatrices.Euclidean(n, 14));
        foreach (var method in Enum.GetValues<Method>())
        {
            var lists = MutualProximity.Neighbours(matrix, method, 5);
            lists.K.Should().Be(n - 1);
            lists.Flat.Length.Should().Be(n * (n - 1));
        }
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void AllMethods_AnyMatrix_OccurrenceSumsToKTimesN(string name, double[,] d, int k)
    {
        var matrix = TestMatrices.ToMatrix(d);
        foreach (var method in Enum.GetValues<Method>())
        {
            var lists = MutualProximity.Neighbours(matrix, method, k, new MpOptions(Quantiles: 8, Samples: 10));
            HubnessMeasures.Occurrence(lists).Sum().Should().Be(lists.K * d.GetLength(0), $"{name} {method}");
            for (var x = 0; x < lists.Count; x++)
            {
                lists[x].ToArray().Should().NotContain(x).And.OnlyHaveUniqueItems();
            }
        }
    }

    private static void AssertLists(NeighbourLists fast, int[][] expected, string name)
    {
        fast.Count.Should().Be(expected.Length);
        for (var x = 0; x < expected.Length; x++)
        {
            fast[x].ToArray().Should().Equal(expected[x], $"{name}: song {x}");
        }
    }
}
