using OrleansHub.Grains.Model;

namespace OrleansHub.Audio;

/// <summary>Which decoder produced the samples.</summary>
public enum DecodePath
{
    /// <summary>Native WAV reader, file already at 22,050 Hz.</summary>
    WavNative,

    /// <summary>Native WAV reader followed by the <see cref="KaiserResampler"/>.</summary>
    WavNativeResampled,

    /// <summary>The ffmpeg executable (every non-WAV format, and WAV encodings the native reader does not decode).</summary>
    Ffmpeg,
}

/// <summary>The model of one file and how it was obtained.</summary>
/// <param name="Model">Gaussian of the MFCCs of the central excerpt.</param>
/// <param name="DurationSeconds">Duration of the whole file.</param>
/// <param name="ExcerptSeconds">Duration that was analysed (at most 120 s).</param>
/// <param name="Path">Decoder used.</param>
/// <param name="Title">Title tag, if any.</param>
/// <param name="Artist">Artist tag, if any.</param>
/// <param name="Warnings">Tolerated irregularities of the file.</param>
public sealed record AudioAnalysis(
    GaussianModel Model,
    double DurationSeconds,
    double ExcerptSeconds,
    DecodePath Path,
    string? Title,
    string? Artist,
    IReadOnlyList<string> Warnings);

/// <summary>
/// Decodes one file to the mono 22,050 Hz central excerpt and fits its Gaussian. RIFF/WAVE files
/// (recognised by their header, whatever the extension) are read natively and resampled by
/// <see cref="KaiserResampler"/>; everything else goes through ffmpeg when it is available.
/// Only the excerpt is read: a WAV file is seeked, ffmpeg is given <c>-ss</c>/<c>-t</c>.
/// Thread-safe.
/// </summary>
public sealed class AudioFileAnalyzer
{
    private readonly FfmpegDecoder? _ffmpeg;

    /// <summary>Creates the analyzer; <paramref name="ffmpeg"/> null means WAV only.</summary>
    public AudioFileAnalyzer(FfmpegDecoder? ffmpeg)
    {
        _ffmpeg = ffmpeg;
    }

    /// <summary>True when non-WAV formats can be decoded.</summary>
    public bool HasFfmpeg => _ffmpeg is not null;

    /// <summary>Analyses one file.</summary>
    /// <exception cref="AudioException">The file cannot be analysed; the message says why.</exception>
    public async Task<AudioAnalysis> AnalyzeAsync(string path, CancellationToken cancellationToken)
    {
        var (excerpt, duration, decodePath, title, artist, warnings) = await DecodeExcerptAsync(path, cancellationToken).ConfigureAwait(false);
        var model = AudioPipeline.GaussianFromExcerpt(excerpt);
        return new AudioAnalysis(model, duration, excerpt.Length / (double)AudioPipeline.SampleRate, decodePath, title, artist, warnings);
    }

    /// <summary>Decodes the mono 22,050 Hz central excerpt, after the content checks.</summary>
    public async Task<(float[] Excerpt, double DurationSeconds, DecodePath Path, string? Title, string? Artist, IReadOnlyList<string> Warnings)> DecodeExcerptAsync(string path, CancellationToken cancellationToken)
    {
        FileInfo file;
        byte[] head = new byte[12];
        int got;
        try
        {
            file = new FileInfo(path);
            if (!file.Exists)
            {
                throw new AudioException("file not found");
            }

            if (file.Length == 0)
            {
                throw new AudioException("empty file (0 bytes)");
            }

            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            got = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AudioException($"cannot read the file: {ex.Message}", ex);
        }

        var looksLikeWav = WavFile.IsRiffWave(head.AsSpan(0, got));
        var hasWavExtension = path.EndsWith(".wav", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".wave", StringComparison.OrdinalIgnoreCase);
        if (looksLikeWav || (hasWavExtension && (_ffmpeg is null || got < 12 || head.AsSpan(0, 4).SequenceEqual("RIFF"u8))))
        {
            try
            {
                return DecodeWav(path);
            }
            catch (NotSupportedException ex) when (_ffmpeg is not null)
            {
                var viaFfmpeg = await DecodeFfmpegAsync(path, cancellationToken).ConfigureAwait(false);
                return viaFfmpeg with { Warnings = [.. viaFfmpeg.Warnings, ex.Message + "; decoded by ffmpeg"] };
            }
            catch (NotSupportedException ex)
            {
                throw new AudioException($"{ex.Message} and ffmpeg was not found on PATH (install ffmpeg to decode it)", ex);
            }
        }

        if (_ffmpeg is null)
        {
            var ext = Path.GetExtension(path);
            throw new AudioException($"not a RIFF/WAVE file ({(ext.Length > 0 ? ext + " " : string.Empty)}starts with '{Printable(head.AsSpan(0, Math.Min(got, 4)))}'); decoding it needs ffmpeg, which was not found on PATH (install ffmpeg)");
        }

        return await DecodeFfmpegAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private static (float[], double, DecodePath, string?, string?, IReadOnlyList<string>) DecodeWav(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
            var info = WavFile.ReadHeader(stream);
            if (info.DurationSeconds < AudioPipeline.MinimumDurationSeconds)
            {
                throw new AudioException(AudioPipeline.TooShort(info.DurationSeconds));
            }

            if (info.SampleRate == AudioPipeline.SampleRate)
            {
                var (start, length) = AudioPipeline.CentralExcerpt(info.FrameCount);
                var excerpt = new float[length];
                WavFile.ReadMono(stream, info, start, excerpt);
                AudioPipeline.CheckContent(excerpt, 0);
                return (excerpt, info.DurationSeconds, DecodePath.WavNative, info.Title, info.Artist, info.Warnings);
            }

            var resampler = KaiserResampler.For(info.SampleRate, AudioPipeline.SampleRate);
            var (j0, outLength) = AudioPipeline.CentralExcerpt(resampler.OutputLength(info.FrameCount));
            var half = resampler.Taps / 2;
            var lo = Math.Max(0, (j0 * resampler.Down / resampler.Up) - half);
            var hi = Math.Min(info.FrameCount - 1, ((j0 + outLength - 1) * resampler.Down / resampler.Up) + half + 1);
            var native = new float[hi - lo + 1];
            WavFile.ReadMono(stream, info, lo, native);
            AudioPipeline.CheckContent(native, 0);
            var output = new float[outLength];
            resampler.Process(native, lo, j0, output);
            return (output, info.DurationSeconds, DecodePath.WavNativeResampled, info.Title, info.Artist, info.Warnings);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AudioException($"cannot read the file: {ex.Message}", ex);
        }
    }

    private async Task<(float[] Excerpt, double DurationSeconds, DecodePath Path, string? Title, string? Artist, IReadOnlyList<string> Warnings)> DecodeFfmpegAsync(string path, CancellationToken cancellationToken)
    {
        var ffmpeg = _ffmpeg!;
        var probe = await ffmpeg.ProbeAsync(path, cancellationToken).ConfigureAwait(false);
        double? start = null, length = null;
        var duration = probe.DurationSeconds;
        if (duration is { } d && d < AudioPipeline.MinimumDurationSeconds - 0.05)
        {
            throw new AudioException(AudioPipeline.TooShort(d));
        }

        if (duration is null)
        {
            var count = await ffmpeg.CountSamplesAsync(path, cancellationToken).ConfigureAwait(false);
            duration = count / (double)AudioPipeline.SampleRate;
        }

        if (duration > AudioPipeline.ExcerptSeconds)
        {
            start = (duration.Value - AudioPipeline.ExcerptSeconds) / 2;
            length = AudioPipeline.ExcerptSeconds;
        }

        var samples = await ffmpeg.DecodeAsync(path, start, length, probe.Channels, AudioPipeline.ExcerptSamples, cancellationToken).ConfigureAwait(false);
        if (samples.Length < AudioPipeline.MinimumSamples)
        {
            throw new AudioException(AudioPipeline.TooShort(samples.Length / (double)AudioPipeline.SampleRate));
        }

        AudioPipeline.CheckContent(samples, 2048);
        return (samples, duration.Value, DecodePath.Ffmpeg, probe.Title, probe.Artist, []);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = bytes[i] is >= 32 and < 127 ? (char)bytes[i] : '.';
        }

        return new string(chars);
    }
}
