using FluentAssertions;
using OrleansHub.Contracts;

namespace OrleansHub.Client.Tests;

public sealed class FeaturesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-features-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Features_FolderOfWavs_WritesOneLinePerSongWithIdsAndLabels()
    {
        ToneWriter.Write(Path.Combine(_dir, "music", "jazz", "a.wav"), 440, 3);
        ToneWriter.Write(Path.Combine(_dir, "music", "jazz", "b.wav"), 660, 3);
        ToneWriter.Write(Path.Combine(_dir, "music", "rock", "c.wav"), 880, 4, channels: 2, rate: 44100);
        var output = Path.Combine(_dir, "out", "feats.jsonl");

        var (code, stdout, stderr) = await Run("features", Path.Combine(_dir, "music"), "--out", output, "--parallel", "2");

        code.Should().Be(0, stderr);
        stdout.Should().Contain("3 songs written").And.Contain("0 failed");
        var read = FeaturesJsonLines.ReadFile(output);
        read.Errors.Should().BeEmpty();
        read.Songs.Select(s => s.Id).Should().Equal("jazz/a", "jazz/b", "rock/c");
        read.Songs.Select(s => s.Labels.Single()).Should().Equal("jazz", "jazz", "rock");
        read.Songs.Should().OnlyContain(s => s.Mean.All(double.IsFinite) && s.Covariance.All(double.IsFinite));
    }

    [Fact]
    public async Task Features_ParallelOneAndTwo_WriteIdenticalFiles()
    {
        for (var i = 0; i < 5; i++)
        {
            ToneWriter.Write(Path.Combine(_dir, "in", $"s{i}.wav"), 200 + (150 * i), 2.5);
        }

        var one = Path.Combine(_dir, "one.jsonl");
        var two = Path.Combine(_dir, "two.jsonl");
        (await Run("features", Path.Combine(_dir, "in"), "--out", one, "--parallel", "1", "--label-from", "none")).Code.Should().Be(0);
        (await Run("features", Path.Combine(_dir, "in"), "--out", two, "--parallel", "2", "--label-from", "none")).Code.Should().Be(0);
        (await File.ReadAllTextAsync(two)).Should().Be(await File.ReadAllTextAsync(one));
        FeaturesJsonLines.ReadFile(one).Songs.Should().OnlyContain(s => s.Labels.Count == 0);
    }

    [Fact]
    public async Task Features_SomeFilesBad_ReportsEachAndExitsOne()
    {
        ToneWriter.Write(Path.Combine(_dir, "in", "good.wav"), 440, 3);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "in", "empty.wav"), []);
        ToneWriter.Write(Path.Combine(_dir, "in", "short.wav"), 440, 1);
        var output = Path.Combine(_dir, "feats.jsonl");

        var (code, stdout, stderr) = await Run("features", Path.Combine(_dir, "in"), "--out", output);

        code.Should().Be(1);
        stderr.Should().Contain("empty.wav").And.Contain("empty file");
        stderr.Should().Contain("short.wav").And.Contain("too short");
        stdout.Should().Contain("1 songs written").And.Contain("2 failed");
        FeaturesJsonLines.ReadFile(output).Songs.Select(s => s.Id).Should().Equal("good");
    }

    [Theory]
    [InlineData("--parallel", "zero")]
    [InlineData("--parallel", "0")]
    [InlineData("--label-from", "grandparent")]
    [InlineData("--decode-timeout", "0")]
    public async Task Features_BadOption_IsUsageErrorTwo(string option, string value)
    {
        ToneWriter.Write(Path.Combine(_dir, "a.wav"), 440, 3);
        var (code, _, stderr) = await Run("features", Path.Combine(_dir, "a.wav"), "--out", Path.Combine(_dir, "f.jsonl"), option, value);
        code.Should().Be(2);
        stderr.Should().StartWith("error:");
    }

    [Fact]
    public async Task Features_NoInputOrNoOut_IsUsageErrorTwo()
    {
        (await Run("features", "--out", Path.Combine(_dir, "f.jsonl"))).Code.Should().Be(2);
        (await Run("features", _dir)).Code.Should().Be(2);
    }

    [Fact]
    public async Task Features_FolderWithoutAudio_FailsWithReason()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "docs"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "docs", "readme.txt"), "no audio here");
        var (code, _, stderr) = await Run("features", Path.Combine(_dir, "docs"), "--out", Path.Combine(_dir, "f.jsonl"));
        code.Should().Be(1);
        stderr.Should().Contain("contains no audio files");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.InvokeAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
