using System.Globalization;
using System.Text.Json;
using FluentAssertions;
using OrleansHub.Contracts;
using OrleansHub.Grains.Model;

namespace OrleansHub.Client.Tests;

public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Replay_Synthetic_JsonHasDocumentedFieldsAndExactSklLists()
    {
        var (code, stdout, stderr) = await Run("replay", "--synthetic", "120", "--seed", "3", "--check-every", "50", "--format", "json");

        code.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var latency = root.GetProperty("insertLatencyMs");
        latency.GetProperty("p50").GetDouble().Should().BeGreaterThan(0);
        latency.GetProperty("p99").GetDouble().Should().BeGreaterThanOrEqualTo(latency.GetProperty("p50").GetDouble());
        latency.GetProperty("max").GetDouble().Should().BeGreaterThanOrEqualTo(latency.GetProperty("p99").GetDouble());
        root.GetProperty("songsPerSecond").GetDouble().Should().BeGreaterThan(0);
        root.GetProperty("bytesPerSong").GetDouble().Should().BeGreaterThan(1856);
        var checkpoints = root.GetProperty("checkpoints").EnumerateArray().ToArray();
        checkpoints.Select(c => c.GetProperty("n").GetInt32()).Should().Equal(50, 100, 120);
        foreach (var c in checkpoints)
        {
            c.GetProperty("sklIdentical").GetDouble().Should().Be(1.0);
            c.GetProperty("mpRecallIndependent").GetDouble().Should().BeInRange(0.8, 1.0);
            c.GetProperty("mpRecallEmpiric").GetDouble().Should().BeInRange(0.8, 1.0);
            c.GetProperty("incrementalConsistent").GetBoolean().Should().BeTrue();
            c.GetProperty("occurrenceL1Skl").GetInt64().Should().Be(0);
        }
    }

    [Fact]
    public async Task Replay_FeaturesWithDump_ListsIndexIdsInInsertionOrder()
    {
        var songs = SyntheticCatalogue.Generate(40, 5);
        var features = Path.Combine(_dir, "f.jsonl");
        using (var writer = new StreamWriter(features))
        {
            FeaturesJsonLines.Write(writer, songs.Select((s, i) => new SongFeatures($"s{i.ToString(CultureInfo.InvariantCulture)}", s.Mean, s.Covariance, [])));
        }

        var dump = Path.Combine(_dir, "lists.json");
        var (code, stdout, stderr) = await Run("replay", "--features", features, "--k", "3", "--dump-lists", dump, "--check-every", "0");

        code.Should().Be(0, stderr);
        stdout.Should().Contain("insert latency");
        using var json = JsonDocument.Parse(File.ReadAllText(dump));
        var ids = json.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetString()).ToArray();
        ids.Should().Equal(Enumerable.Range(0, 40).Select(i => $"s{i}"));
        foreach (var name in new[] { "skl", "mp" })
        {
            var lists = json.RootElement.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            lists.Should().HaveCount(40);
            for (var x = 0; x < 40; x++)
            {
                lists[x].Should().HaveCount(3).And.OnlyHaveUniqueItems().And.NotContain(x).And.OnlyContain(t => t >= 0 && t < 40);
            }
        }
    }

    [Fact]
    public async Task Replay_BatchedAndThreaded_SameListsAsOneByOne()
    {
        var single = Path.Combine(_dir, "single.json");
        var batched = Path.Combine(_dir, "batched.json");
        (await Run("replay", "--synthetic", "90", "--check-every", "0", "--threads", "1", "--dump-lists", single)).Code.Should().Be(0);
        (await Run("replay", "--synthetic", "90", "--check-every", "0", "--batch", "16", "--dump-lists", batched)).Code.Should().Be(0);

        File.ReadAllText(batched).Should().Be(File.ReadAllText(single));
    }

    [Fact]
    public async Task Replay_ResumeFromSnapshot_SameListsAsUninterrupted()
    {
        var full = Path.Combine(_dir, "full.json");
        var resumed = Path.Combine(_dir, "resumed.json");
        var snapshot = Path.Combine(_dir, "half.snap");
        (await Run("replay", "--synthetic", "80", "--check-every", "0", "--dump-lists", full)).Code.Should().Be(0);
        (await Run("replay", "--synthetic", "45", "--check-every", "0", "--save-snapshot", snapshot)).Code.Should().Be(0);
        var (code, stdout, stderr) = await Run("replay", "--synthetic", "80", "--check-every", "0", "--resume", snapshot, "--dump-lists", resumed);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("replay: 80 songs");
        File.ReadAllText(resumed).Should().Be(File.ReadAllText(full));
    }

    [Fact]
    public async Task Replay_SampledCheck_OfEverySongEqualsTheFullCheck_AndASampleIsReported()
    {
        var (code, stdout, stderr) = await Run("replay", "--synthetic", "150", "--seed", "4", "--check-every", "150", "--sampled-check", "500", "--format", "json");

        code.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var full = json.RootElement.GetProperty("checkpoints").EnumerateArray().Single();
        var sampled = json.RootElement.GetProperty("sampledCheck");
        sampled.GetProperty("n").GetInt32().Should().Be(150);
        sampled.GetProperty("songs").GetInt32().Should().Be(150, "a sample larger than the catalogue takes every song");
        foreach (var field in new[] { "sklIdentical", "sklNearTies", "mpRecallIndependent" })
        {
            sampled.GetProperty(field).GetDouble().Should().Be(full.GetProperty(field).GetDouble(), field);
        }

        var (code2, stdout2, stderr2) = await Run("replay", "--synthetic", "150", "--seed", "4", "--check-every", "0", "--sampled-check", "40");
        code2.Should().Be(0, stderr2);
        stdout2.Should().MatchRegex(@"(?m)sampled exact check \(40 of 150 songs, [0-9.]+ s\): SKL identical 1\.0000 \(near-ties 0\), MP recall vs mp-independent (0\.[89][0-9]{3}|1\.0000)\r?$");
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("replay", "--synthetic", "10", "--features", "x.jsonl")]
    [InlineData("replay", "--synthetic", "0")]
    [InlineData("replay", "--synthetic", "10", "--candidates", "2")]
    [InlineData("replay", "--synthetic", "10", "--check-every", "-1")]
    [InlineData("replay", "--synthetic", "10", "--sampled-check", "-1")]
    public async Task Replay_BadUsage_ExitsTwo(params string[] args)
    {
        var (code, _, stderr) = await Run(args);

        code.Should().Be(2);
        stderr.Should().Contain("error");
    }

    [Fact]
    public async Task Replay_MalformedFeatures_ExitsOne()
    {
        var features = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(features, "{\"id\": \"a\"}\n");

        var (code, _, stderr) = await Run("replay", "--features", features);

        code.Should().Be(1);
        stderr.Should().Contain("line 1");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.InvokeAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
