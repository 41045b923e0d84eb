using FluentAssertions;

namespace OrleansHub.Audio.Tests;

public sealed class WavAndBadInputTests
{
    private static readonly AudioFileAnalyzer WavOnly = new(null);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    private static async Task<string> FailureOf(string path, AudioFileAnalyzer? analyzer = null)
    {
        var act = () => (analyzer ?? WavOnly).AnalyzeAsync(path, CancellationToken.None);
        var ex = await act.Should().ThrowAsync<AudioException>();
        return ex.Which.Message;
    }

    [Theory]
    [InlineData("pcm8_mono.wav", 1.0 / 128)]
    [InlineData("pcm16_stereo.wav", 1.0 / 32768)]
    [InlineData("pcm24_mono.wav", 1.0 / 8388608)]
    [InlineData("pcm24_stereo.wav", 1.0 / 8388608)]
    [InlineData("pcm32_mono.wav", 1e-8)]
    [InlineData("float32_mono.wav", 1e-7)]
    [InlineData("pcm16_6ch_extensible.wav", 1.0 / 32768)]
    public void Fixture_DecodesToTheSameSineAsTheFloat64Fixture(string name, double quantisation)
    {
        // sox wrote every fixture from the same 1 kHz sine at amplitude 0.5 without dither: the only
        // difference is the rounding of each encoding (one step, plus float32 rounding of the mean).
        var reference = TestSignals.ReadAll(Fixture("float64_mono.wav"));
        var decoded = TestSignals.ReadAll(Fixture(name));
        for (var i = 0; i < decoded.Length; i++)
        {
            decoded[i].Should().BeApproximately(reference[i], (float)(quantisation + 1e-7), $"sample {i}");
        }
    }

    [Fact]
    public void Fixture_FloatWithFactChunkAndExtensibleHeaders_AreRecognised()
    {
        using var s = File.OpenRead(Fixture("pcm24_mono.wav"));
        var info = WavFile.ReadHeader(s);
        (info.Encoding, info.Channels, info.SampleRate, info.BitsPerSample, info.FrameCount).Should().Be((WavEncoding.Pcm, 1, 8000, 24, 2000L));
        using var f = File.OpenRead(Fixture("float32_mono.wav"));
        WavFile.ReadHeader(f).Encoding.Should().Be(WavEncoding.IeeeFloat);
    }

    [Theory]
    [InlineData(true, false, false, false)]
    [InlineData(false, true, false, false)]
    [InlineData(false, false, true, false)]
    [InlineData(false, false, false, true)]
    [InlineData(true, true, true, true)]
    public void OddChunkLayouts_DecodeToTheSameSamples(bool listBefore, bool oddChunk, bool extensible, bool tagsAfter)
    {
        var x = TestSignals.Sine(440, 0.25, 22050, 1001);
        var plain = TestSignals.ReadAll(TestSignals.WriteTemp(TestSignals.Wav([x], 22050, 16)));
        var layout = new TestSignals.WavLayout(listBefore, oddChunk, extensible, tagsAfter);
        var path = TestSignals.WriteTemp(TestSignals.Wav([x], 22050, 16, layout));
        TestSignals.ReadAll(path).Should().Equal(plain);
        using var s = File.OpenRead(path);
        var info = WavFile.ReadHeader(s);
        info.Title.Should().Be(listBefore || tagsAfter ? "Test Title" : null);
        info.Artist.Should().Be(listBefore || tagsAfter ? "Test Artist" : null);
    }

    [Fact]
    public async Task StereoWithOneSilentChannel_EqualsTheMonoFileAtHalfAmplitude()
    {
        // Samples are even multiples of 1/32768, so halving is exact in 16-bit PCM.
        var random = new Random(5);
        var left = Enumerable.Range(0, 22050 * 3).Select(_ => random.Next(-8000, 8000) * 2 / 32768f).ToArray();
        var half = left.Select(v => v / 2).ToArray();
        var silent = new float[left.Length];
        var stereo = await WavOnly.AnalyzeAsync(TestSignals.WriteTemp(TestSignals.Wav([left, silent], 22050, 16)), CancellationToken.None);
        var mono = await WavOnly.AnalyzeAsync(TestSignals.WriteTemp(TestSignals.Wav([half], 22050, 16)), CancellationToken.None);
        stereo.Model.Mean.ToArray().Should().Equal(mono.Model.Mean.ToArray());
        stereo.Model.Covariance.ToArray().Should().Equal(mono.Model.Covariance.ToArray());
    }

    [Fact]
    public async Task EightChannels_AreDownmixedAsTheMeanOfTheChannels()
    {
        var channels = Enumerable.Range(0, 8).Select(c => TestSignals.Sine(200 * (c + 1), 0.1, 22050, 22050 * 3)).ToArray();
        var mean = new float[channels[0].Length];
        for (var i = 0; i < mean.Length; i++)
        {
            mean[i] = channels.Sum(ch => ch[i]) / 8;
        }

        var path = TestSignals.WriteTemp(TestSignals.Wav(channels, 22050, -32));
        var (excerpt, _, decodePath, _, _, _) = await WavOnly.DecodeExcerptAsync(path, CancellationToken.None);
        decodePath.Should().Be(DecodePath.WavNative);
        for (var i = 0; i < mean.Length; i += 97)
        {
            excerpt[i].Should().BeApproximately(mean[i], 1e-6f);
        }
    }

    [Fact]
    public async Task WavAt44100_IsResampledAndAnalysed()
    {
        var x = TestSignals.Music(44100 * 5, 44100, 3);
        var a = await WavOnly.AnalyzeAsync(TestSignals.WriteTemp(TestSignals.Wav([x, x], 44100, 16)), CancellationToken.None);
        a.Path.Should().Be(DecodePath.WavNativeResampled);
        a.ExcerptSeconds.Should().BeApproximately(5, 1e-9);
        a.Model.Covariance.ToArray().Should().OnlyContain(v => double.IsFinite(v));
    }

    [Fact]
    public async Task EmptyFile_IsRejected() =>
        (await FailureOf(TestSignals.WriteTemp([]))).Should().Be("empty file (0 bytes)");

    [Fact]
    public async Task TruncatedHeader_IsRejected() =>
        (await FailureOf(TestSignals.WriteTemp("RIFF\u0010\0\0\0WA"u8.ToArray()))).Should().Contain("truncated header");

    [Fact]
    public async Task HeaderCutInsideTheFmtChunk_IsRejected()
    {
        var wav = TestSignals.Wav([TestSignals.Sine(440, 0.5, 22050, 22050 * 3)], 22050, 16);
        (await FailureOf(TestSignals.WriteTemp(wav[..30]))).Should().Contain("corrupt 'fmt ' chunk");
    }

    [Fact]
    public async Task TruncatedData_IsAnalysedWithAWarning()
    {
        var wav = TestSignals.Wav([TestSignals.Music(22050 * 4, 22050, 1)], 22050, 16);
        var a = await WavOnly.AnalyzeAsync(TestSignals.WriteTemp(wav[..(44 + (22050 * 2 * 3))]), CancellationToken.None);
        a.Warnings.Should().ContainSingle().Which.Should().Contain("truncated file");
        a.ExcerptSeconds.Should().BeApproximately(3, 1e-9);
    }

    [Fact]
    public async Task CorruptBlockAlign_IsRejected()
    {
        var wav = TestSignals.Wav([TestSignals.Sine(440, 0.5, 22050, 22050 * 3)], 22050, 16);
        wav[32] = 7;
        (await FailureOf(TestSignals.WriteTemp(wav))).Should().Contain("block align 7");
    }

    [Fact]
    public async Task ZeroLengthDataChunk_IsRejected()
    {
        var wav = TestSignals.Wav([[]], 22050, 16);
        (await FailureOf(TestSignals.WriteTemp(wav))).Should().Be("zero-length data chunk (no samples)");
    }

    [Fact]
    public async Task DigitalSilence_IsRejectedAsNoAudioContent() =>
        (await FailureOf(TestSignals.WriteTemp(TestSignals.Wav([new float[22050 * 5]], 44100, 16))))
            .Should().StartWith("digital silence");

    [Fact]
    public async Task DcOnly_IsRejectedAsNoAudioContent()
    {
        var dc = Enumerable.Repeat(0.25f, 22050 * 5).ToArray();
        (await FailureOf(TestSignals.WriteTemp(TestSignals.Wav([dc], 22050, 16)))).Should().StartWith("constant signal (DC only, value 0.25)");
    }

    [Fact]
    public async Task NaNSamples_AreRejected()
    {
        var x = TestSignals.Sine(440, 0.5, 22050, 22050 * 3);
        x[1000] = float.NaN;
        (await FailureOf(TestSignals.WriteTemp(TestSignals.Wav([x], 22050, -32)))).Should().Contain("NaN");
    }

    [Fact]
    public async Task OneSecond_IsRejectedAsTooShort() =>
        (await FailureOf(TestSignals.WriteTemp(TestSignals.Wav([TestSignals.Sine(440, 0.5, 22050, 22050)], 22050, 16))))
            .Should().Be("too short: 1 s of audio, the minimum is 2 s");

    [Fact]
    public async Task WavWithAnMp3Extension_IsReadNatively()
    {
        var path = TestSignals.WriteTemp(TestSignals.Wav([TestSignals.Music(22050 * 3, 22050, 2)], 22050, 16), ".mp3");
        (await WavOnly.AnalyzeAsync(path, CancellationToken.None)).Path.Should().Be(DecodePath.WavNative);
    }

    [Fact]
    public async Task NonWavWithoutFfmpeg_NamesTheMissingTool()
    {
        var path = TestSignals.WriteTemp("fLaC\0\0\0\"some bytes"u8.ToArray(), ".flac");
        (await FailureOf(path)).Should().Contain("ffmpeg, which was not found on PATH");
    }

    [Fact]
    public async Task NonWavWithAMissingFfmpegExecutable_NamesTheTool()
    {
        var analyzer = new AudioFileAnalyzer(new FfmpegDecoder("/nonexistent/ffmpeg", null, TimeSpan.FromSeconds(10)));
        var path = TestSignals.WriteTemp("fLaC\0\0\0\"some bytes"u8.ToArray(), ".flac");
        (await FailureOf(path, analyzer)).Should().Contain("could not start ffmpeg");
    }

    [Fact]
    public async Task UnsupportedWavEncodingWithoutFfmpeg_SaysWhichEncoding()
    {
        var wav = TestSignals.Wav([TestSignals.Sine(440, 0.5, 22050, 22050 * 3)], 22050, 16);
        wav[20] = 2;
        (await FailureOf(TestSignals.WriteTemp(wav))).Should().Contain("0x0002 (Microsoft ADPCM) is not decoded natively");
    }

    [Fact]
    public async Task Ffmpeg_WhenPresent_DecodesFlacCloseToTheNativeWavPath()
    {
        var ffmpeg = FfmpegDecoder.FromPath(TimeSpan.FromSeconds(60));
        var sox = FfmpegDecoder.FindOnPath("sox");
        if (ffmpeg is null || sox is null)
        {
            return; // Needs ffmpeg and sox on PATH (CI installs both); nothing to compare otherwise.
        }

        var wav = TestSignals.WriteTemp(TestSignals.Wav([TestSignals.Music(22050 * 6, 22050, 4)], 22050, 16));
        var flac = Path.ChangeExtension(wav, ".flac");
        using (var p = System.Diagnostics.Process.Start(sox, [wav, flac]))
        {
            await p.WaitForExitAsync();
            p.ExitCode.Should().Be(0);
        }

        var analyzer = new AudioFileAnalyzer(ffmpeg);
        var native = await analyzer.AnalyzeAsync(wav, CancellationToken.None);
        var decoded = await analyzer.AnalyzeAsync(flac, CancellationToken.None);
        decoded.Path.Should().Be(DecodePath.Ffmpeg);
        for (var i = 0; i < 20; i++)
        {
            decoded.Model.Mean[i].Should().BeApproximately(native.Model.Mean[i], 1e-3 * Math.Max(1, Math.Abs(native.Model.Mean[i])));
        }
    }

    [Fact]
    public async Task Ffmpeg_WhenPresent_ReportsCorruptFilesPrecisely()
    {
        var ffmpeg = FfmpegDecoder.FromPath(TimeSpan.FromSeconds(60));
        if (ffmpeg is null)
        {
            return; // Needs ffmpeg on PATH.
        }

        var path = TestSignals.WriteTemp("ID3\u0003garbage garbage garbage garbage"u8.ToArray(), ".mp3");
        (await FailureOf(path, new AudioFileAnalyzer(ffmpeg))).Should().Contain("ffmpeg");
    }
}
