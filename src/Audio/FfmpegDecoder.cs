using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OrleansHub.Audio;

/// <summary>What ffprobe reports about a file: duration, channel count and tags (each may be unknown).</summary>
/// <param name="DurationSeconds">Container duration, if reported.</param>
/// <param name="Channels">Channels of the first audio stream, if reported.</param>
/// <param name="Title">Title tag.</param>
/// <param name="Artist">Artist tag.</param>
public sealed record ProbeResult(double? DurationSeconds, int? Channels, string? Title, string? Artist);

/// <summary>
/// Decodes any format ffmpeg knows to mono float32 at 22,050 Hz through
/// <c>ffmpeg -v error [-ss S -t T] -i FILE -vn -sn -dn -f f32le -ac 1 -ar 22050 -</c> (more than two
/// channels are downmixed with an explicit <c>pan</c> filter so that the result is the mean of the
/// channels, as for native WAV). The process is started without a shell (argument list), its
/// standard output is read as a stream, standard error is captured for the message, and it is
/// killed on timeout or cancellation.
/// </summary>
public sealed class FfmpegDecoder
{
    private readonly string _ffmpeg;
    private readonly string? _ffprobe;

    /// <summary>Creates a decoder using the given executables.</summary>
    /// <param name="ffmpeg">ffmpeg executable (a name looked up on PATH, or a path).</param>
    /// <param name="ffprobe">ffprobe executable, or null to decode without probing.</param>
    /// <param name="timeout">Longest time one ffmpeg or ffprobe run may take.</param>
    public FfmpegDecoder(string ffmpeg, string? ffprobe, TimeSpan timeout)
    {
        _ffmpeg = ffmpeg;
        _ffprobe = ffprobe;
        Timeout = timeout;
    }

    /// <summary>Longest time one ffmpeg or ffprobe run may take.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// The decoder for the ffmpeg and ffprobe found on PATH, or null when ffmpeg is not there.
    /// </summary>
    public static FfmpegDecoder? FromPath(TimeSpan timeout)
    {
        var ffmpeg = FindOnPath("ffmpeg");
        return ffmpeg is null ? null : new FfmpegDecoder(ffmpeg, FindOnPath("ffprobe"), timeout);
    }

    /// <summary>Full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var names = OperatingSystem.IsWindows() ? new[] { name + ".exe", name } : new[] { name };
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var n in names)
            {
                var candidate = Path.Combine(dir, n);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Duration, channels and title/artist tags through ffprobe; all unknown when ffprobe is absent or fails.</summary>
    public async Task<ProbeResult> ProbeAsync(string file, CancellationToken cancellationToken)
    {
        if (_ffprobe is null)
        {
            return new ProbeResult(null, null, null, null);
        }

        var args = new[]
        {
            "-v", "error", "-select_streams", "a:0",
            "-show_entries", "format=duration:format_tags=title,artist:stream=channels:stream_tags=title,artist",
            "-of", "json", file,
        };
        using var output = new MemoryStream();
        var (exit, _) = await RunAsync(_ffprobe, args, output, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            return new ProbeResult(null, null, null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(output.ToArray());
            var root = doc.RootElement;
            double? duration = null;
            int? channels = null;
            string? title = null, artist = null;
            if (root.TryGetProperty("format", out var format))
            {
                if (format.TryGetProperty("duration", out var d) && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                {
                    duration = seconds;
                }

                ReadTags(format, ref title, ref artist);
            }

            if (root.TryGetProperty("streams", out var streams) && streams.ValueKind == JsonValueKind.Array && streams.GetArrayLength() > 0)
            {
                var stream = streams[0];
                if (stream.TryGetProperty("channels", out var c) && c.TryGetInt32(out var ch))
                {
                    channels = ch;
                }

                ReadTags(stream, ref title, ref artist);
            }
            else
            {
                throw new AudioException("ffprobe found no audio stream in the file");
            }

            return new ProbeResult(duration, channels, title, artist);
        }
        catch (JsonException)
        {
            return new ProbeResult(null, null, null, null);
        }
    }

    /// <summary>
    /// Decodes <paramref name="durationSeconds"/> seconds from <paramref name="startSeconds"/> (the
    /// whole file when null) to mono float32 at 22,050 Hz, keeping at most
    /// <paramref name="maxSamples"/> samples (memory stays bounded whatever the stream's length).
    /// </summary>
    /// <exception cref="AudioException">ffmpeg failed, timed out, or produced no samples.</exception>
    public async Task<float[]> DecodeAsync(string file, double? startSeconds, double? durationSeconds, int? channels, int maxSamples, CancellationToken cancellationToken)
    {
        var args = new List<string> { "-nostdin", "-v", "error" };
        if (startSeconds is { } ss)
        {
            args.Add("-ss");
            args.Add(ss.ToString("0.######", CultureInfo.InvariantCulture));
        }

        if (durationSeconds is { } t)
        {
            args.Add("-t");
            args.Add(t.ToString("0.######", CultureInfo.InvariantCulture));
        }

        args.AddRange(["-i", file, "-vn", "-sn", "-dn"]);
        if (channels is > 2 and <= 64)
        {
            var weight = (1.0 / channels.Value).ToString("R", CultureInfo.InvariantCulture);
            var pan = new StringBuilder("pan=mono|c0=");
            for (var c = 0; c < channels.Value; c++)
            {
                pan.Append(c == 0 ? string.Empty : "+").Append(weight).Append("*c").Append(c);
            }

            args.Add("-af");
            args.Add(pan.ToString());
        }

        args.AddRange(["-f", "f32le", "-ac", "1", "-ar", AudioPipeline.SampleRate.ToString(CultureInfo.InvariantCulture), "-"]);
        using var sink = new SampleSink(maxSamples);
        var (exit, stderr) = await RunAsync(_ffmpeg, args, sink, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new AudioException($"ffmpeg could not decode the file (exit code {exit}): {Summarise(stderr)}");
        }

        if (sink.Count == 0)
        {
            throw new AudioException(string.IsNullOrWhiteSpace(stderr) ? "ffmpeg decoded no audio samples (no audio stream?)" : $"ffmpeg decoded no audio samples: {Summarise(stderr)}");
        }

        return sink.ToArray();
    }

    /// <summary>
    /// Number of mono 22,050 Hz samples the whole file decodes to, found by decoding it once and
    /// discarding the samples (used when ffprobe reports no duration).
    /// </summary>
    public async Task<long> CountSamplesAsync(string file, CancellationToken cancellationToken)
    {
        using var sink = new SampleSink(0);
        var args = new List<string> { "-nostdin", "-v", "error", "-i", file, "-vn", "-sn", "-dn", "-f", "f32le", "-ac", "1", "-ar", AudioPipeline.SampleRate.ToString(CultureInfo.InvariantCulture), "-" };
        var (exit, stderr) = await RunAsync(_ffmpeg, args, sink, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new AudioException($"ffmpeg could not decode the file (exit code {exit}): {Summarise(stderr)}");
        }

        return sink.Count;
    }

    private static void ReadTags(JsonElement element, ref string? title, ref string? artist)
    {
        if (!element.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var tag in tags.EnumerateObject())
        {
            var value = tag.Value.ValueKind == JsonValueKind.String ? tag.Value.GetString() : null;
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            if (title is null && tag.Name.Equals("title", StringComparison.OrdinalIgnoreCase))
            {
                title = value.Trim();
            }
            else if (artist is null && tag.Name.Equals("artist", StringComparison.OrdinalIgnoreCase))
            {
                artist = value.Trim();
            }
        }
    }

    private static string Summarise(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no message" : string.Join(" | ", lines.Take(3));
    }

    private async Task<(int ExitCode, string StandardError)> RunAsync(string executable, IEnumerable<string> arguments, Stream output, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new AudioException($"could not start {Path.GetFileName(executable)} ('{executable}'): {ex.Message}; install ffmpeg (it provides ffmpeg and ffprobe) and put it on PATH", ex);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var stderrTask = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.StandardOutput.BaseStream.CopyToAsync(output, 1 << 16, timeout.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var stderr = await stderrTask.ConfigureAwait(false);
            return (process.ExitCode, stderr);
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new AudioException($"{Path.GetFileName(executable)} timed out after {Timeout.TotalSeconds:0} s and was killed");
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>Write-only stream that turns f32le bytes into samples, keeping the first <c>max</c>.</summary>
    private sealed class SampleSink(int max) : Stream
    {
        private readonly List<float[]> _blocks = [];
        private readonly byte[] _carry = new byte[4];
        private int _carryCount;
        private float[] _current = new float[1 << 16];
        private int _currentCount;

        public long Count { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Count * 4;

        public override long Position
        {
            get => Length;
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (_carryCount > 0 && _carryCount < 4 && !buffer.IsEmpty)
            {
                _carry[_carryCount++] = buffer[0];
                buffer = buffer[1..];
                if (_carryCount == 4)
                {
                    Add(BinaryPrimitives.ReadSingleLittleEndian(_carry));
                    _carryCount = 0;
                }
            }

            var whole = buffer.Length / 4 * 4;
            for (var i = 0; i < whole; i += 4)
            {
                Add(BinaryPrimitives.ReadSingleLittleEndian(buffer.Slice(i, 4)));
            }

            for (var i = whole; i < buffer.Length; i++)
            {
                _carry[_carryCount++] = buffer[i];
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public float[] ToArray()
        {
            var kept = (int)Math.Min(Count, max);
            var result = new float[kept];
            var at = 0;
            foreach (var block in _blocks)
            {
                var n = Math.Min(block.Length, kept - at);
                block.AsSpan(0, n).CopyTo(result.AsSpan(at));
                at += n;
            }

            _current.AsSpan(0, Math.Min(_currentCount, kept - at)).CopyTo(result.AsSpan(at));
            return result;
        }

        private void Add(float value)
        {
            Count++;
            if (Count > max)
            {
                return;
            }

            if (_currentCount == _current.Length)
            {
                _blocks.Add(_current);
                _current = new float[_current.Length];
                _currentCount = 0;
            }

            _current[_currentCount++] = value;
        }
    }
}
