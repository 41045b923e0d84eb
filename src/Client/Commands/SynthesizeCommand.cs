using System.CommandLine;
using System.Globalization;
using OrleansHub.Contracts;
using OrleansHub.Grains.Model;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub synthesize</c>: a seeded synthetic features file for scale tests.</summary>
internal static class SynthesizeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var songs = new Option<int>("--songs") { Description = "Number of songs.", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same seed gives the same catalogue.", DefaultValueFactory = _ => 1UL };
        var genres = new Option<int>("--genres") { Description = "Genre clusters (written as labels).", DefaultValueFactory = _ => 16 };
        var outPath = new Option<FileInfo>("--out") { Description = "Features JSONL to write.", Required = true };
        songs.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0)
            {
                r.AddError("--songs must be positive.");
            }
        });
        genres.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0)
            {
                r.AddError("--genres must be positive.");
            }
        });

        var command = new Command("synthesize", "Write a seeded synthetic catalogue of MFCC-like Gaussians (model documented in SyntheticCatalogue) as features JSONL.")
        {
            songs, seed, genres, outPath,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(outPath)!;
            var generated = SyntheticCatalogue.Generate(parse.GetValue(songs), parse.GetValue(seed), parse.GetValue(genres));
            try
            {
                using var writer = new StreamWriter(file.FullName);
                FeaturesJsonLines.Write(writer, generated.Select((s, i) => new SongFeatures(
                    $"synthetic-{i.ToString("D7", CultureInfo.InvariantCulture)}",
                    s.Mean,
                    s.Covariance,
                    [s.Genre],
                    Source: "synthetic")));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {file.FullName}: cannot write ({ex.Message}).");
                return 1;
            }

            output.WriteLine($"wrote {generated.Count} songs to {file.FullName}");
            return 0;
        });
        return command;
    }
}
