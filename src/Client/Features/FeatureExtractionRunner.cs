using System.Diagnostics;
using OrleansHub.Audio;
using OrleansHub.Contracts;

namespace OrleansHub.Client.Features;

/// <summary>Outcome of one file: its features line or the reason it failed.</summary>
/// <param name="Input">The file.</param>
/// <param name="Features">The song, when it succeeded.</param>
/// <param name="Error">Why it failed, otherwise.</param>
/// <param name="Warnings">Tolerated irregularities.</param>
internal sealed record FeatureOutcome(FeatureInput Input, SongFeatures? Features, string? Error, IReadOnlyList<string> Warnings);

/// <summary>Progress notifications of a batch.</summary>
internal interface IFeatureProgress
{
    /// <summary>Called once per file, in completion order.</summary>
    void Completed(FeatureOutcome outcome, int done, int total, TimeSpan elapsed);
}

/// <summary>
/// Runs the audio front end over many files with a bounded degree of parallelism and writes the
/// JSONL lines in input order (a line is written as soon as every earlier file has finished).
/// A failing file is recorded with its reason; the batch continues.
/// </summary>
internal sealed class FeatureExtractionRunner(AudioFileAnalyzer analyzer, int parallelism)
{
    /// <summary>Processes every input; returns the outcomes in input order.</summary>
    public async Task<IReadOnlyList<FeatureOutcome>> RunAsync(IReadOnlyList<FeatureInput> inputs, TextWriter output, IFeatureProgress progress, CancellationToken cancellationToken)
    {
        var outcomes = new FeatureOutcome?[inputs.Count];
        var next = 0;
        var done = 0;
        var gate = new object();
        var clock = Stopwatch.StartNew();
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, inputs.Count), options, async (index, ct) =>
        {
            var outcome = await AnalyzeOneAsync(inputs[index], ct).ConfigureAwait(false);
            lock (gate)
            {
                outcomes[index] = outcome;
                while (next < outcomes.Length && outcomes[next] is { } ready)
                {
                    if (ready.Features is not null)
                    {
                        output.Write(FeaturesJsonLines.ToLine(ready.Features));
                        output.Write('\n');
                    }

                    next++;
                }

                done++;
                progress.Completed(outcome, done, inputs.Count, clock.Elapsed);
            }
        }).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return outcomes.Select(o => o!).ToList();
    }

    private async Task<FeatureOutcome> AnalyzeOneAsync(FeatureInput input, CancellationToken cancellationToken)
    {
        try
        {
            var analysis = await analyzer.AnalyzeAsync(input.Path, cancellationToken).ConfigureAwait(false);
            var model = analysis.Model;
            var song = new SongFeatures(input.Id, model.Mean.ToArray(), model.Covariance.ToArray(), input.Labels, analysis.Title, analysis.Artist, input.Path);
            return new FeatureOutcome(input, song, null, analysis.Warnings);
        }
        catch (AudioException ex)
        {
            return new FeatureOutcome(input, null, ex.Message, []);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException)
        {
            return new FeatureOutcome(input, null, $"{ex.GetType().Name}: {ex.Message}", []);
        }
    }
}
