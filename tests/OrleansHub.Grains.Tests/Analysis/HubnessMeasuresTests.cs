using FluentAssertions;
using OrleansHub.Grains.Analysis;

namespace OrleansHub.Grains.Tests.Analysis;

public sealed class HubnessMeasuresTests
{
    public static TheoryData<string, double[,]> Matrices()
    {
        var data = new TheoryData<string, double[,]>();
        foreach (var c in TestMatrices.Cases())
        {
            data.Add((string)c[0], (double[,])c[1]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void Compute_AnyLists_MatchesPlainDefinitions(string name, double[,] d)
    {
        foreach (var method in new[] { Method.None, Method.MpEmpiric })
        {
            var lists = MutualProximity.Neighbours(TestMatrices.ToMatrix(d), method, 5);
            var plain = Enumerable.Range(0, lists.Count).Select(x => lists[x].ToArray()).ToArray();
            var o = PlainReference.Occurrence(plain, lists.Count);
            var report = HubnessMeasures.Compute(lists, 5, 5);

            report.Occurrence.Should().Equal(o, name);
            report.Hubs.Should().Be(o.Count(v => v >= 25));
            report.Antihubs.Should().Be(o.Count(v => v == 0));
            report.MaxOccurrence.Should().Be(o.Max());
            report.Skewness.Should().BeApproximately(PlainReference.Skewness(o), 1e-9, name);
            report.RobinHood.Should().BeApproximately(PlainReference.RobinHood(o, 5), 1e-12, name);
            report.Gini.Should().BeApproximately(PlainReference.Gini(o, 5), 1e-12, name);
        }
    }

    [Theory]
    [InlineData(new[] { 5, 5, 5, 5 }, 0, 0, 0)]
    [InlineData(new[] { 20, 0, 0, 0 }, 1.1547005383792515, 0.75, 0.75)]
    [InlineData(new[] { 0, 0, 10, 10 }, 0, 0.5, 0.5)]
    public void FromOccurrence_KnownVectors_GiveKnownValues(int[] o, double skew, double robinHood, double gini)
    {
        var report = HubnessMeasures.FromOccurrence(o, 5, 4);
        report.Skewness.Should().BeApproximately(skew, 1e-12);
        report.RobinHood.Should().BeApproximately(robinHood, 1e-12);
        report.Gini.Should().BeApproximately(gini, 1e-12);
    }

    [Fact]
    public void FromOccurrence_HubThresholdIsInclusive()
    {
        var report = HubnessMeasures.FromOccurrence([25, 24, 0, 1], 5, 5);
        report.Hubs.Should().Be(1);
        report.Antihubs.Should().Be(1);
        report.HubShare.Should().Be(0.25);
    }

    [Fact]
    public void FromOccurrence_EmptyCatalogue_IsAllZero()
    {
        var report = HubnessMeasures.FromOccurrence([], 5, 5);
        report.Should().BeEquivalentTo(new { Hubs = 0, Antihubs = 0, MaxOccurrence = 0, Skewness = 0.0, RobinHood = 0.0, Gini = 0.0 });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GenreMeasures_RandomLabels_MatchPlainDefinitions(int seed)
    {
        var d = TestMatrices.Euclidean(150, seed);
        var rng = new Random(seed);
        var genres = new[] { "rock", "jazz", "folk", "ambient" };
        var labels = Enumerable.Range(0, 150)
            .Select(i => i % 11 == 0 ? Array.Empty<string>() : genres.Where(_ => rng.NextDouble() < 0.4).DefaultIfEmpty(genres[i % 4]).ToArray())
            .ToArray();
        var sets = labels.Select(l => (IReadOnlySet<string>)new HashSet<string>(l)).ToArray();
        foreach (var method in new[] { Method.None, Method.MpEmpiric })
        {
            var lists = MutualProximity.Neighbours(TestMatrices.ToMatrix(d), method, 5);
            var plain = Enumerable.Range(0, lists.Count).Select(x => lists[x].ToArray()).ToArray();
            HubnessMeasures.RetrievalAccuracy(lists, sets).Should().BeApproximately(PlainReference.RetrievalAccuracy(plain, labels)!.Value, 1e-12);
            HubnessMeasures.KnnAccuracy(lists, sets).Should().Be(PlainReference.KnnAccuracy(plain, labels));
        }
    }

    [Fact]
    public void GenreMeasures_NoLabels_AreNull()
    {
        var lists = MutualProximity.Neighbours(TestMatrices.ToMatrix(TestMatrices.Euclidean(10, 1)), Method.None, 3);
        var none = Enumerable.Range(0, 10).Select(_ => (IReadOnlySet<string>)new HashSet<string>()).ToArray();
        HubnessMeasures.RetrievalAccuracy(lists, none).Should().BeNull();
        HubnessMeasures.KnnAccuracy(lists, none).Should().BeNull();
    }
}
