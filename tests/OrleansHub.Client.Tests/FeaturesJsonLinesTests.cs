using FluentAssertions;
using OrleansHub.Contracts;

namespace OrleansHub.Client.Tests;

public sealed class FeaturesJsonLinesTests
{
    [Fact]
    public void WriteThenRead_RoundTripsExactly()
    {
        var rng = new Random(1);
        var songs = Enumerable.Range(0, 5).Select(i => new SongFeatures(
            $"song/{i}",
            Enumerable.Range(0, 20).Select(_ => (rng.NextDouble() - 0.5) * 1e3).ToArray(),
            Enumerable.Range(0, 400).Select(_ => rng.NextDouble() / 3).ToArray(),
            i % 2 == 0 ? ["rock", "live \"quoted\""] : [],
            i == 1 ? "Tïtle" : null,
            i == 2 ? "Artist" : null,
            "src")).ToList();
        using var writer = new StringWriter();
        FeaturesJsonLines.Write(writer, songs);
        var read = FeaturesJsonLines.Read(new StringReader(writer.ToString()));
        read.Errors.Should().BeEmpty();
        read.Songs.Should().HaveCount(5);
        for (var i = 0; i < 5; i++)
        {
            read.Songs[i].Mean.Should().Equal(songs[i].Mean);
            read.Songs[i].Covariance.Should().Equal(songs[i].Covariance);
            read.Songs[i].Labels.Should().Equal(songs[i].Labels);
            (read.Songs[i] with { Mean = songs[i].Mean, Covariance = songs[i].Covariance, Labels = songs[i].Labels }).Should().Be(songs[i]);
        }
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("{\"mean\": []}", "\"id\" is missing")]
    [InlineData("{\"id\": \"\", \"mean\": []}", "\"id\" is empty")]
    [InlineData("{\"id\": \"a\"}", "\"mean\" is missing")]
    [InlineData("{\"id\": \"a\", \"mean\": [1]}", "\"mean\" must have 20 numbers, found 1")]
    [InlineData("{\"id\": \"a\", \"mean\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,\"x\"]}", "\"mean\"[19] is not a finite number")]
    [InlineData("{\"id\": \"a\", \"mean\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,1e999]}", "\"mean\"[19] is not a finite number")]
    [InlineData("{\"id\": \"a\", \"mean\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20], \"covariance\": [1]}", "\"covariance\" must have 400 numbers, found 1")]
    [InlineData("{\"id\": \"a\", \"mean\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,NaN]}", "not valid JSON")]
    public void ParseLine_Malformed_NamesTheProblem(string line, string reason)
    {
        FeaturesJsonLines.ParseLine(line, out var error).Should().BeNull();
        error.Should().Contain(reason);
    }

    [Fact]
    public void Read_MixedFile_ReportsEveryBadLineWithItsNumber()
    {
        var good = AnalyzeCommandTests.Features("a", 1);
        var text = string.Join('\n', good, string.Empty, "{}", AnalyzeCommandTests.Features("b", 2), good, "{\"id\": 3}");
        var read = FeaturesJsonLines.Read(new StringReader(text));
        read.Songs.Select(s => s.Id).Should().Equal("a", "b");
        read.Errors.Select(e => e.LineNumber).Should().Equal(3, 5, 6);
        read.Errors[1].Reason.Should().Contain("duplicate id \"a\" (first on line 1)");
    }

    [Fact]
    public void ParseLine_BadLabels_AreRejected()
    {
        var line = AnalyzeCommandTests.Features("a", 1).TrimEnd('}') + ", \"labels\": \"rock\"}";
        FeaturesJsonLines.ParseLine(line, out var error).Should().BeNull();
        error.Should().Contain("\"labels\" must be an array");
    }
}
