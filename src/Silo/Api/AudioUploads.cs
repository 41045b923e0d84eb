using OrleansHub.Audio;
using OrleansHub.Contracts;

namespace OrleansHub.Silo.Api;

/// <summary>
/// Multipart audio uploads: the file is spooled to a temporary file (the decoders seek), analysed
/// with the SPEC §1 front end (WAV natively, other formats through ffmpeg when it is on PATH) and
/// turned into the same features record a JSON upload carries.
/// </summary>
public static class AudioUploads
{
    private static readonly Lazy<AudioFileAnalyzer> Analyzer = new(() => new AudioFileAnalyzer(FfmpegDecoder.FromPath(TimeSpan.FromMinutes(2))));

    /// <summary>
    /// Reads the form fields <c>file</c> (required), <c>id</c> (default: the file name without
    /// extension), <c>labels</c> (separated by <c>;</c>), <c>title</c>, <c>artist</c>.
    /// Returns the features, or null with the reason.
    /// </summary>
    public static async Task<(SongFeatures? Song, string? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            return (null, "the form needs a non-empty 'file' field holding the audio");
        }

        var id = form["id"].ToString().Trim();
        if (id.Length == 0)
        {
            id = Path.GetFileNameWithoutExtension(file.FileName).Trim();
        }

        if (id.Length == 0)
        {
            return (null, "no 'id' field and no usable file name");
        }

        var extension = Path.GetExtension(file.FileName);
        var temp = Path.Combine(Path.GetTempPath(), $"orleanshub-upload-{Guid.NewGuid():N}{(extension.Length <= 8 ? extension : string.Empty)}");
        try
        {
            await using (var target = File.Create(temp))
            {
                await file.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
            }

            var analysis = await Analyzer.Value.AnalyzeAsync(temp, cancellationToken).ConfigureAwait(false);
            var labels = form["labels"].ToString()
                .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            var title = form["title"].ToString() is { Length: > 0 } t ? t : analysis.Title;
            var artist = form["artist"].ToString() is { Length: > 0 } a ? a : analysis.Artist;
            return (new SongFeatures(id, analysis.Model.Mean.ToArray(), analysis.Model.Covariance.ToArray(), labels, title, artist, file.FileName), null);
        }
        catch (AudioException ex)
        {
            return (null, $"{file.FileName}: {ex.Message}");
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
