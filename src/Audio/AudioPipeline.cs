using OrleansHub.Grains.Model;

namespace OrleansHub.Audio;

/// <summary>The fixed constants of the audio front end (SPEC §1) and its signal-level entry point.</summary>
public static class AudioPipeline
{
    /// <summary>Sample rate every signal is resampled to.</summary>
    public const int SampleRate = 22050;

    /// <summary>Length of the central excerpt that is analysed, in seconds.</summary>
    public const int ExcerptSeconds = 120;

    /// <summary>Samples in a full excerpt (120 s at 22,050 Hz).</summary>
    public const int ExcerptSamples = ExcerptSeconds * SampleRate;

    /// <summary>Shortest accepted audio, in seconds (about 86 frames, enough for a 20×20 covariance).</summary>
    public const double MinimumDurationSeconds = 2.0;

    /// <summary>Shortest accepted audio, in samples at 22,050 Hz.</summary>
    public const int MinimumSamples = (int)(MinimumDurationSeconds * SampleRate);

    /// <summary>
    /// Peak-to-peak amplitude at or below which a signal counts as having no audio content
    /// (digital silence or DC only); one 16-bit LSB is 3.1e-5, so dithered silence still counts as content.
    /// </summary>
    public const double ConstantSignalTolerance = 1e-6;

    [ThreadStatic]
    private static MfccExtractor? _threadExtractor;

    /// <summary>
    /// Central excerpt of a signal: the middle <see cref="ExcerptSamples"/> samples (start at
    /// ⌊(n − E)/2⌋), or the whole signal when shorter.
    /// </summary>
    public static (long Start, int Length) CentralExcerpt(long samples)
    {
        var length = (int)Math.Min(samples, ExcerptSamples);
        return ((samples - length) / 2, length);
    }

    /// <summary>
    /// The Gaussian of a mono 22,050 Hz excerpt (which the caller has already cut to the central
    /// 120 s): content check, MFCC, fit. Uses one cached <see cref="MfccExtractor"/> per thread.
    /// </summary>
    /// <exception cref="AudioException">Too short, non-finite samples, or no audio content.</exception>
    public static GaussianModel GaussianFromExcerpt(ReadOnlySpan<float> excerpt)
    {
        if (excerpt.Length < MinimumSamples)
        {
            throw new AudioException(TooShort(excerpt.Length / (double)SampleRate));
        }

        CheckContent(excerpt, 0);
        var extractor = _threadExtractor ??= new MfccExtractor();
        var model = extractor.Gaussian(excerpt);
        foreach (var v in model.Covariance)
        {
            if (!double.IsFinite(v))
            {
                throw new AudioException("internal error: the fitted covariance is not finite");
            }
        }

        return model;
    }

    /// <summary>
    /// Rejects non-finite samples and signals without audio content (peak-to-peak at most
    /// <see cref="ConstantSignalTolerance"/>), ignoring <paramref name="edge"/> samples at each end
    /// for the constancy test (decoder start-up transients).
    /// </summary>
    /// <exception cref="AudioException">With the precise reason.</exception>
    public static void CheckContent(ReadOnlySpan<float> samples, int edge)
    {
        for (var i = 0; i < samples.Length; i++)
        {
            if (!float.IsFinite(samples[i]))
            {
                throw new AudioException($"sample {i} of the analysed excerpt is {samples[i]} (corrupt floating-point data)");
            }
        }

        var inner = samples.Length > 4 * edge ? samples[edge..^edge] : samples;
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var v in inner)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        if (max - min <= ConstantSignalTolerance)
        {
            throw new AudioException(Math.Abs(max) <= ConstantSignalTolerance && Math.Abs(min) <= ConstantSignalTolerance
                ? "digital silence: every sample of the analysed excerpt is zero, no audio content to model"
                : $"constant signal (DC only, value {(min + max) / 2:0.######}): no audio content to model");
        }
    }

    internal static string TooShort(double seconds) =>
        $"too short: {seconds:0.###} s of audio, the minimum is {MinimumDurationSeconds:0.#} s";
}
