using System.Buffers.Binary;
using OrleansHub.TestSupport;

namespace OrleansHub.Client.Tests;

/// <summary>Small generated WAV fixtures for the command tests.</summary>
internal static class ToneWriter
{
    /// <summary>A 16-bit PCM WAV of a sine with a little deterministic noise (so it is not pure).</summary>
    public static void Write(string path, double frequency, double seconds, int channels = 1, int rate = 22050)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var frames = (int)(seconds * rate);
        var data = new byte[frames * channels * 2];
        var rng = new Random((int)frequency);
        for (var f = 0; f < frames; f++)
        {
            var v = (0.5 * Math.Sin(2 * Math.PI * frequency * f / rate)) + (0.01 * (rng.NextDouble() - 0.5));
            for (var c = 0; c < channels; c++)
            {
                BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(((f * channels) + c) * 2), (short)(v * 32000));
            }
        }

        using var stream = File.Create(path);
        Pcm16Wav.Write(stream, channels, rate, data);
    }
}
