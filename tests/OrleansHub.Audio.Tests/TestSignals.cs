using System.Buffers.Binary;
using System.Text;

namespace OrleansHub.Audio.Tests;

/// <summary>Synthetic signals and hand-built WAV files for the tests.</summary>
internal static class TestSignals
{
    public static float[] Sine(double frequency, double amplitude, int sampleRate, int samples, double phase = 0)
    {
        var x = new float[samples];
        for (var i = 0; i < samples; i++)
        {
            x[i] = (float)(amplitude * Math.Sin((2 * Math.PI * frequency * i / sampleRate) + phase));
        }

        return x;
    }

    public static float[] Noise(int samples, double amplitude, int seed)
    {
        var random = new Random(seed);
        var x = new float[samples];
        for (var i = 0; i < samples; i++)
        {
            x[i] = (float)(amplitude * ((2 * random.NextDouble()) - 1));
        }

        return x;
    }

    /// <summary>A music-like test signal: chords that change every half second plus a little noise.</summary>
    public static float[] Music(int samples, int sampleRate, int seed)
    {
        var random = new Random(seed);
        var x = new float[samples];
        var segment = sampleRate / 2;
        for (var start = 0; start < samples; start += segment)
        {
            var f1 = 110 * Math.Pow(2, random.Next(0, 36) / 12.0);
            var f2 = f1 * 1.5;
            var f3 = f1 * 2.52;
            for (var i = start; i < Math.Min(samples, start + segment); i++)
            {
                var t = (double)i / sampleRate;
                var env = Math.Exp(-3.0 * (i - start) / sampleRate);
                x[i] = (float)((0.3 * env * (Math.Sin(2 * Math.PI * f1 * t) + (0.5 * Math.Sin(2 * Math.PI * f2 * t)) + (0.25 * Math.Sin(2 * Math.PI * f3 * t)))) + (0.01 * ((2 * random.NextDouble()) - 1)));
            }
        }

        return x;
    }

    /// <summary>Options for <see cref="Wav"/>.</summary>
    public sealed record WavLayout(bool ListBeforeData = false, bool OddChunkBeforeData = false, bool Extensible = false, bool TagsAfterData = false);

    /// <summary>
    /// Interleaved 16-bit PCM (tag 1), or float 32 (tag 3) when <paramref name="bits"/> is -32.
    /// </summary>
    public static byte[] Wav(float[][] channels, int sampleRate, int bits, WavLayout? layout = null)
    {
        layout ??= new WavLayout();
        var isFloat = bits == -32;
        var bytesPerSample = isFloat ? 4 : bits / 8;
        var frames = channels[0].Length;
        var data = new byte[frames * channels.Length * bytesPerSample];
        for (var f = 0; f < frames; f++)
        {
            for (var c = 0; c < channels.Length; c++)
            {
                var span = data.AsSpan(((f * channels.Length) + c) * bytesPerSample, bytesPerSample);
                var v = channels[c][f];
                if (isFloat)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(span, v);
                }
                else
                {
                    BinaryPrimitives.WriteInt16LittleEndian(span, (short)Math.Clamp(Math.Round(v * 32768.0), short.MinValue, short.MaxValue));
                }
            }
        }

        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("RIFF"u8);
        w.Write(0);
        w.Write("WAVE"u8);
        if (layout.ListBeforeData)
        {
            WriteInfo(w);
        }

        var tag = isFloat ? 3 : 1;
        var blockAlign = channels.Length * bytesPerSample;
        w.Write("fmt "u8);
        w.Write(layout.Extensible ? 40 : 16);
        w.Write((ushort)(layout.Extensible ? 0xFFFE : tag));
        w.Write((ushort)channels.Length);
        w.Write(sampleRate);
        w.Write(sampleRate * blockAlign);
        w.Write((ushort)blockAlign);
        w.Write((ushort)(bytesPerSample * 8));
        if (layout.Extensible)
        {
            w.Write((ushort)22);
            w.Write((ushort)(bytesPerSample * 8));
            w.Write(0);
            w.Write((ushort)tag);
            w.Write(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 });
        }

        if (layout.OddChunkBeforeData)
        {
            w.Write("junk"u8);
            w.Write(3);
            w.Write(new byte[] { 1, 2, 3, 0 });
        }

        w.Write("data"u8);
        w.Write(data.Length);
        w.Write(data);
        if ((data.Length & 1) == 1)
        {
            w.Write((byte)0);
        }

        if (layout.TagsAfterData)
        {
            WriteInfo(w);
        }

        w.Flush();
        var bytes = ms.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), bytes.Length - 8);
        return bytes;
    }

    public static string WriteTemp(byte[] bytes, string extension = ".wav")
    {
        var path = Path.Combine(Path.GetTempPath(), "orleanshub-audio-tests", Guid.NewGuid().ToString("N") + extension);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static float[] ReadAll(string path)
    {
        using var stream = File.OpenRead(path);
        var info = WavFile.ReadHeader(stream);
        var x = new float[info.FrameCount];
        WavFile.ReadMono(stream, info, 0, x);
        return x;
    }

    private static void WriteInfo(BinaryWriter w)
    {
        var title = Encoding.ASCII.GetBytes("Test Title\0");
        var artist = Encoding.ASCII.GetBytes("Test Artist\0");
        var size = 4 + 8 + title.Length + (title.Length & 1) + 8 + artist.Length + (artist.Length & 1);
        w.Write("LIST"u8);
        w.Write(size);
        w.Write("INFO"u8);
        w.Write("INAM"u8);
        w.Write(title.Length);
        w.Write(title);
        if ((title.Length & 1) == 1)
        {
            w.Write((byte)0);
        }

        w.Write("IART"u8);
        w.Write(artist.Length);
        w.Write(artist);
        if ((artist.Length & 1) == 1)
        {
            w.Write((byte)0);
        }
    }
}
