namespace OrleansHub.TestSupport;

/// <summary>
/// The canonical 44-byte header of a 16-bit PCM RIFF/WAVE file, for the generated audio fixtures of
/// the test and benchmark projects (linked into each; the Audio tests' own writer also covers other
/// formats and chunk layouts).
/// </summary>
internal static class Pcm16Wav
{
    /// <summary>Writes the header and <paramref name="data"/> (interleaved little-endian 16-bit samples).</summary>
    public static void Write(Stream output, int channels, int sampleRate, ReadOnlySpan<byte> data)
    {
        using var w = new BinaryWriter(output, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write("RIFF"u8);
        w.Write(36 + data.Length);
        w.Write("WAVEfmt "u8);
        w.Write(16);
        w.Write((ushort)1);
        w.Write((ushort)channels);
        w.Write(sampleRate);
        w.Write(sampleRate * channels * 2);
        w.Write((ushort)(channels * 2));
        w.Write((ushort)16);
        w.Write("data"u8);
        w.Write(data.Length);
        w.Write(data);
    }
}
