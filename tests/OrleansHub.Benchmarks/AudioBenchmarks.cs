using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using OrleansHub.Audio;
using OrleansHub.Grains.Model;
using OrleansHub.TestSupport;

namespace OrleansHub.Benchmarks;

/// <summary>
/// The audio front end: a 120 s mono 22,050 Hz excerpt to its Gaussian (target ≤ 50 ms on one
/// core), and a 4-minute 44.1 kHz stereo 16-bit WAV file on disk to its Gaussian, decode and
/// resampling included (target ≤ 150 ms).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class AudioBenchmarks
{
    private readonly AudioFileAnalyzer _analyzer = new(null);
    private float[] _excerpt = [];
    private string _wavPath = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _excerpt = Music(AudioPipeline.ExcerptSamples, AudioPipeline.SampleRate, 1);
        _wavPath = Path.Combine(Path.GetTempPath(), "orleanshub-bench-4min-44k-stereo.wav");
        WriteStereoWav(_wavPath, Music(44100 * 240, 44100, 2), 44100);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_wavPath);

    [Benchmark(Description = "120 s mono 22.05 kHz excerpt -> Gaussian")]
    public GaussianModel ExcerptToGaussian() => AudioPipeline.GaussianFromExcerpt(_excerpt);

    [Benchmark(Description = "4 min 44.1 kHz stereo WAV file -> Gaussian")]
    public GaussianModel WavFileToGaussian() => _analyzer.AnalyzeAsync(_wavPath, CancellationToken.None).GetAwaiter().GetResult().Model;

    private static float[] Music(int samples, int sampleRate, int seed)
    {
        var random = new Random(seed);
        var x = new float[samples];
        var segment = sampleRate / 2;
        for (var start = 0; start < samples; start += segment)
        {
            var f = 110 * Math.Pow(2, random.Next(0, 36) / 12.0);
            for (var i = start; i < Math.Min(samples, start + segment); i++)
            {
                var t = (double)i / sampleRate;
                var env = Math.Exp(-3.0 * (i - start) / sampleRate);
                x[i] = (float)((0.3 * env * (Math.Sin(2 * Math.PI * f * t) + (0.5 * Math.Sin(3 * Math.PI * f * t)))) + (0.01 * ((2 * random.NextDouble()) - 1)));
            }
        }

        return x;
    }

    private static void WriteStereoWav(string path, float[] mono, int sampleRate)
    {
        var data = new byte[mono.Length * 4];
        for (var i = 0; i < mono.Length; i++)
        {
            var v = (short)Math.Clamp(Math.Round(mono[i] * 32767.0), short.MinValue, short.MaxValue);
            BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(i * 4), v);
            BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan((i * 4) + 2), (short)(v / 2));
        }

        using var fs = File.Create(path);
        Pcm16Wav.Write(fs, 2, sampleRate, data);
    }
}
