using FluentAssertions;

namespace OrleansHub.Audio.Tests;

/// <summary>Measures process-wide allocations, so it runs alone (no other test allocating meanwhile).</summary>
[CollectionDefinition(nameof(LongFileTests), DisableParallelization = true)]
public sealed class LongFileTestGroup;

[Collection(nameof(LongFileTests))]
public sealed class LongFileTests
{
    [Fact]
    public async Task LongFile_OnlyTheCentral120SecondsAreReadAndMemoryStaysBounded()
    {
        // A two-hour 22,050 Hz mono 16-bit file (317 MB, sparse): zeros except music in the centre.
        var path = Path.Combine(Path.GetTempPath(), "orleanshub-audio-tests", "two-hours.wav");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        const long frames = 2L * 3600 * 22050;
        var header = TestSignals.Wav([new float[2]], 22050, 16);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(40), (uint)(frames * 2));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)((frames * 2) + 36));
        var music = TestSignals.Wav([TestSignals.Music(22050 * 130, 22050, 9)], 22050, 16).AsSpan(44).ToArray();
        await using (var fs = new FileStream(path, FileMode.Create))
        {
            fs.Write(header.AsSpan(0, 44));
            fs.SetLength(44 + (frames * 2));
            fs.Position = 44 + ((frames / 2) - (65 * 22050)) * 2;
            fs.Write(music);
        }

        try
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var a = await new AudioFileAnalyzer(null).AnalyzeAsync(path, CancellationToken.None);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            a.DurationSeconds.Should().BeApproximately(7200, 1e-6);
            a.ExcerptSeconds.Should().Be(120);
            allocated.Should().BeLessThan(64L << 20, "only the 120 s excerpt (10.6 MB of float) and the MFCC matrices are allocated");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
