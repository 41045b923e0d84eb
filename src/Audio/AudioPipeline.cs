namespace OrleansHub.Audio;

/// <summary>The audio front end (SPEC §1): decode, downmix, resample, MFCC, Gaussian.</summary>
public static class AudioPipeline
{
    /// <summary>Sample rate every signal is resampled to.</summary>
    public const int SampleRate = 22050;
}
