using OrleansHub.Audio;
using OrleansHub.Client.Features;
using OrleansHub.Contracts;

namespace OrleansHub.Client.Remote;

/// <summary>Songs read for ingestion, and how many inputs could not be read.</summary>
/// <param name="Songs">Distinct songs in input order.</param>
/// <param name="Failed">Lines, files or arguments that yielded no song (each reported).</param>
internal sealed record IngestInputsResult(IReadOnlyList<SongFeatures> Songs, int Failed);

/// <summary>
/// Turns the <c>ingest</c> arguments into songs: features files (<c>.jsonl</c>, <c>.ndjson</c>) are
/// read directly; audio files and folders go through the feature extraction of <c>orleanshub features</c>.
/// </summary>
internal static class IngestInputs
{
    private static readonly HashSet<string> FeatureExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jsonl", ".ndjson" };

    /// <summary>True when the path names a features file.</summary>
    public static bool IsFeaturesFile(string path) => FeatureExtensions.Contains(Path.GetExtension(path));

    /// <summary>Reads every argument; malformed lines, unreadable audio and repeated ids are reported on <paramref name="error"/> and counted as failed.</summary>
    public static async Task<IngestInputsResult> LoadAsync(IReadOnlyList<string> arguments, int parallel, TextWriter error, CancellationToken cancellationToken)
    {
        var songs = new List<SongFeatures>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var failed = 0;
        var audio = new List<string>();
        foreach (var argument in arguments)
        {
            if (File.Exists(argument) && IsFeaturesFile(argument))
            {
                FeaturesReadResult read;
                try
                {
                    read = FeaturesJsonLines.ReadFile(argument);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"failed: {argument}: cannot read ({ex.Message})").ConfigureAwait(false);
                    failed++;
                    continue;
                }

                foreach (var e in read.Errors)
                {
                    await error.WriteLineAsync($"failed: {argument}: {e}").ConfigureAwait(false);
                }

                failed += read.Errors.Count;
                failed += await AddAsync(read.Songs, argument).ConfigureAwait(false);
            }
            else
            {
                audio.Add(argument);
            }
        }

        if (audio.Count > 0)
        {
            var (files, problems) = FeatureInputs.Collect(audio, LabelSource.ParentFolder);
            foreach (var p in problems)
            {
                await error.WriteLineAsync($"failed: {p.Path}: {p.Reason}").ConfigureAwait(false);
            }

            failed += problems.Count;
            var runner = new FeatureExtractionRunner(new AudioFileAnalyzer(FfmpegDecoder.FromPath(TimeSpan.FromMinutes(5))), parallel);
            var outcomes = await runner.RunAsync(files, TextWriter.Null, new PlainFeatureProgress(error, TimeSpan.FromSeconds(5)), cancellationToken).ConfigureAwait(false);
            failed += outcomes.Count(o => o.Features is null);
            failed += await AddAsync(outcomes.Where(o => o.Features is not null).Select(o => o.Features!), "audio").ConfigureAwait(false);
        }

        return new IngestInputsResult(songs, failed);

        async Task<int> AddAsync(IEnumerable<SongFeatures> read, string origin)
        {
            var repeated = 0;
            foreach (var song in read)
            {
                if (seen.Add(song.Id))
                {
                    songs.Add(song);
                }
                else
                {
                    await error.WriteLineAsync($"failed: {origin}: id \"{song.Id}\" appears in an earlier input").ConfigureAwait(false);
                    repeated++;
                }
            }

            return repeated;
        }
    }
}
