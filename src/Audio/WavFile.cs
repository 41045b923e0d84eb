using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace OrleansHub.Audio;

/// <summary>Sample encodings the native WAV reader decodes.</summary>
public enum WavEncoding
{
    /// <summary>Integer PCM, 8-bit unsigned or 16/24/32-bit signed little-endian.</summary>
    Pcm,

    /// <summary>IEEE float, 32 or 64 bits.</summary>
    IeeeFloat,
}

/// <summary>
/// The header of a RIFF/WAVE file: format, where the sample data lies, tags from a LIST/INFO
/// chunk, and anything odd that was tolerated (<see cref="Warnings"/>).
/// </summary>
/// <param name="Encoding">PCM or float (also when wrapped in WAVE_FORMAT_EXTENSIBLE).</param>
/// <param name="Channels">Channel count, at least 1.</param>
/// <param name="SampleRate">Frames per second.</param>
/// <param name="BitsPerSample">Container bits per sample: 8, 16, 24, 32 (PCM) or 32, 64 (float).</param>
/// <param name="DataOffset">Byte offset of the first sample.</param>
/// <param name="FrameCount">Whole frames present in the file.</param>
/// <param name="Title">INAM tag, if any.</param>
/// <param name="Artist">IART tag, if any.</param>
/// <param name="Warnings">Tolerated irregularities (truncated data, unpadded chunks).</param>
public sealed record WavInfo(
    WavEncoding Encoding,
    int Channels,
    int SampleRate,
    int BitsPerSample,
    long DataOffset,
    long FrameCount,
    string? Title,
    string? Artist,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Bytes per frame (all channels).</summary>
    public int BlockAlign => Channels * (BitsPerSample / 8);

    /// <summary>Duration in seconds.</summary>
    public double DurationSeconds => (double)FrameCount / SampleRate;
}

/// <summary>
/// Native RIFF/WAVE reader: PCM 8/16/24/32-bit, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE, any
/// channel count and sample rate, chunks in any order (LIST before data, odd sizes with their pad
/// byte). Reads any range of frames by seeking, downmixing to mono as the mean of the channels,
/// so a two-hour file is never loaded whole.
/// </summary>
public static class WavFile
{
    private const int FormatPcm = 1;
    private const int FormatFloat = 3;
    private const int FormatExtensible = 0xFFFE;

    /// <summary>True when the first 12 bytes are a RIFF/WAVE header.</summary>
    public static bool IsRiffWave(ReadOnlySpan<byte> head) =>
        head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head.Slice(8, 4).SequenceEqual("WAVE"u8);

    /// <summary>Parses the header of a RIFF/WAVE stream (seekable).</summary>
    /// <exception cref="AudioException">Not a WAV file, a corrupt or unsupported header, or no samples.</exception>
    /// <exception cref="NotSupportedException">A valid WAV whose encoding is not decoded natively (ADPCM, A-law, …); ffmpeg can decode it.</exception>
    public static WavInfo ReadHeader(Stream stream)
    {
        var length = stream.Length;
        if (length == 0)
        {
            throw new AudioException("empty file (0 bytes)");
        }

        Span<byte> head = stackalloc byte[12];
        stream.Position = 0;
        var got = ReadFully(stream, head);
        if (got < 12 || !IsRiffWave(head))
        {
            throw new AudioException(got < 12
                ? $"truncated header: {length} bytes, a RIFF/WAVE header needs at least 12"
                : $"not a RIFF/WAVE file (starts with {Describe(head[..Math.Min(got, 4)])})");
        }

        var warnings = new List<string>();
        var riffEnd = 8 + (long)BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (riffEnd > length)
        {
            riffEnd = length;
        }

        int formatTag = -1, channels = 0, sampleRate = 0, bits = 0, blockAlign = 0;
        long dataOffset = -1, dataBytes = 0;
        string? title = null, artist = null;
        Span<byte> chunkHeader = stackalloc byte[8];
        var position = 12L;
        while (position + 8 <= length)
        {
            stream.Position = position;
            if (ReadFully(stream, chunkHeader) < 8)
            {
                break;
            }

            var id = Encoding.ASCII.GetString(chunkHeader[..4]);
            var size = (long)BinaryPrimitives.ReadUInt32LittleEndian(chunkHeader[4..]);
            var body = position + 8;
            switch (id)
            {
                case "fmt ":
                    if (size < 16 || body + 16 > length)
                    {
                        throw new AudioException($"corrupt 'fmt ' chunk: {size} bytes declared, {Math.Max(0, length - body)} present, at least 16 needed");
                    }

                    var fmt = new byte[Math.Min(size, 40)];
                    ReadFully(stream, fmt);
                    formatTag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                    channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(2));
                    sampleRate = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(fmt.AsSpan(4)));
                    blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(12));
                    bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(14));
                    if (formatTag == FormatExtensible)
                    {
                        if (fmt.Length < 40)
                        {
                            throw new AudioException($"corrupt WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk: {size} bytes, 40 needed");
                        }

                        formatTag = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(24));
                    }

                    break;
                case "data":
                    dataOffset = body;
                    dataBytes = size;
                    if (size == 0xFFFFFFFF || body + size > length)
                    {
                        var present = length - body;
                        if (size != 0xFFFFFFFF)
                        {
                            warnings.Add($"data chunk declares {size} bytes but only {present} are present (truncated file); analysed the samples present");
                        }

                        dataBytes = present;
                    }

                    break;
                case "LIST":
                    ReadInfo(stream, body, Math.Min(size, length - body), ref title, ref artist);
                    break;
                default:
                    break;
            }

            if (dataOffset >= 0 && formatTag >= 0 && body + size >= length)
            {
                break;
            }

            position = body + size + (size & 1);
        }

        if (formatTag < 0)
        {
            throw new AudioException(dataOffset < 0 ? "no 'fmt ' or 'data' chunk (truncated or corrupt header)" : "no 'fmt ' chunk before the end of the file");
        }

        if (dataOffset < 0)
        {
            throw new AudioException("no 'data' chunk (truncated or corrupt file)");
        }

        if (formatTag != FormatPcm && formatTag != FormatFloat)
        {
            throw new NotSupportedException($"WAV encoding 0x{formatTag:X4} ({FormatName(formatTag)}) is not decoded natively");
        }

        if (channels == 0)
        {
            throw new AudioException("corrupt 'fmt ' chunk: 0 channels");
        }

        if (sampleRate < 1000)
        {
            throw new AudioException($"corrupt or unsupported 'fmt ' chunk: sample rate {sampleRate} Hz");
        }

        var encoding = formatTag == FormatFloat ? WavEncoding.IeeeFloat : WavEncoding.Pcm;
        var validBits = encoding == WavEncoding.IeeeFloat ? bits is 32 or 64 : bits is 8 or 16 or 24 or 32;
        if (!validBits)
        {
            throw new AudioException($"unsupported {(encoding == WavEncoding.IeeeFloat ? "IEEE float" : "PCM")} sample size: {bits} bits");
        }

        if (blockAlign != channels * (bits / 8))
        {
            throw new AudioException($"corrupt 'fmt ' chunk: block align {blockAlign} does not match {channels} channels × {bits} bits");
        }

        if (dataBytes == 0)
        {
            throw new AudioException("zero-length data chunk (no samples)");
        }

        var frames = dataBytes / blockAlign;
        if (frames == 0)
        {
            throw new AudioException($"data chunk holds {dataBytes} bytes, less than one frame of {blockAlign} bytes");
        }

        return new WavInfo(encoding, channels, sampleRate, bits, dataOffset, frames, title, artist, warnings);
    }

    /// <summary>
    /// Reads frames [<paramref name="firstFrame"/>, + destination.Length) as mono (mean of the
    /// channels), scaled to [−1, 1): PCM by 2^(bits−1) (8-bit unsigned around 128), float as is.
    /// </summary>
    /// <exception cref="AudioException">The range lies outside the data, or the file ends early.</exception>
    public static void ReadMono(Stream stream, WavInfo info, long firstFrame, Span<float> destination)
    {
        if (firstFrame < 0 || firstFrame + destination.Length > info.FrameCount)
        {
            throw new AudioException($"frames {firstFrame}…{firstFrame + destination.Length} lie outside the {info.FrameCount} frames of the data chunk");
        }

        var block = info.BlockAlign;
        var framesPerRead = Math.Max(1, (1 << 16) / block);
        var buffer = ArrayPool<byte>.Shared.Rent(framesPerRead * block);
        try
        {
            stream.Position = info.DataOffset + (firstFrame * block);
            var done = 0;
            while (done < destination.Length)
            {
                var n = Math.Min(framesPerRead, destination.Length - done);
                var bytes = buffer.AsSpan(0, n * block);
                if (ReadFully(stream, bytes) < bytes.Length)
                {
                    throw new AudioException($"file ended early while reading frame {firstFrame + done}");
                }

                Downmix(bytes, info, destination.Slice(done, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static void Downmix(ReadOnlySpan<byte> bytes, WavInfo info, Span<float> mono)
    {
        var channels = info.Channels;
        var scale = 1.0f / channels;
        var bps = info.BitsPerSample / 8;
        for (var f = 0; f < mono.Length; f++)
        {
            var frame = bytes.Slice(f * info.BlockAlign, info.BlockAlign);
            double sum = 0;
            for (var c = 0; c < channels; c++)
            {
                var s = frame.Slice(c * bps, bps);
                sum += (info.Encoding, bps) switch
                {
                    (WavEncoding.Pcm, 1) => (s[0] - 128) / 128.0,
                    (WavEncoding.Pcm, 2) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
                    (WavEncoding.Pcm, 3) => ((s[0] << 8) | (s[1] << 16) | (s[2] << 24)) / 2147483648.0,
                    (WavEncoding.Pcm, _) => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
                    (WavEncoding.IeeeFloat, 4) => BinaryPrimitives.ReadSingleLittleEndian(s),
                    _ => BinaryPrimitives.ReadDoubleLittleEndian(s),
                };
            }

            mono[f] = (float)sum * scale;
        }
    }

    private static void ReadInfo(Stream stream, long body, long size, ref string? title, ref string? artist)
    {
        if (size < 4 || size > 1 << 20)
        {
            return;
        }

        var data = new byte[size];
        stream.Position = body;
        var got = ReadFully(stream, data);
        if (got < 4 || !data.AsSpan(0, 4).SequenceEqual("INFO"u8))
        {
            return;
        }

        var p = 4;
        while (p + 8 <= got)
        {
            var id = Encoding.ASCII.GetString(data, p, 4);
            var len = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(p + 4)), (uint)(got - p - 8));
            var text = Encoding.UTF8.GetString(data, p + 8, len).TrimEnd('\0', ' ');
            if (text.Length > 0)
            {
                if (id == "INAM")
                {
                    title = text;
                }
                else if (id == "IART")
                {
                    artist = text;
                }
            }

            p += 8 + len + (len & 1);
        }
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder("'");
        foreach (var b in bytes)
        {
            sb.Append(b is >= 32 and < 127 ? (char)b : '.');
        }

        return sb.Append('\'').ToString();
    }

    private static string FormatName(int tag) => tag switch
    {
        0x0002 => "Microsoft ADPCM",
        0x0006 => "A-law",
        0x0007 => "µ-law",
        0x0011 => "IMA ADPCM",
        0x0055 => "MPEG layer 3",
        _ => "unknown",
    };
}
