using System.Diagnostics;
using OrleansHub.Client.Input;
using OrleansHub.Contracts;
using OrleansHub.Grains.Analysis;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Client.Analyze;

/// <summary>The work of <c>orleanshub analyze</c>, separate from argument parsing so tests can call it.</summary>
internal static class AnalyzeRunner
{
    /// <summary>Songs above which the default methods switch from empiric to quantile MP.</summary>
    public const int EmpiricDefaultLimit = 20_000;

    /// <summary>Largest catalogue a dense n×n float64 matrix can hold in one .NET array.</summary>
    public const int DenseLimit = 46_340;

    /// <summary>Runs the analysis; returns the process exit code (0 success, 1 bad input).</summary>
    public static int Run(AnalyzeSettings settings, TextWriter output, TextWriter log)
    {
        try
        {
            var total = Stopwatch.StartNew();
            var (distances, ids, jsonlLabels) = Load(settings, log);
            var labels = MergeLabels(settings, ids, jsonlLabels, log);
            var methods = settings.Methods ?? DefaultMethods(distances.Count);
            var analysisSettings = new AnalysisSettings(
                methods,
                settings.K,
                settings.HubSize,
                new MpOptions(settings.Quantiles, settings.Samples, settings.Seed, settings.Threads),
                settings.RecallAgainst);

            IReadOnlyList<MethodResult> results;
            try
            {
                results = HubnessAnalysis.Run(distances, analysisSettings, labels, message => log.WriteLine(message));
            }
            catch (ArgumentException ex)
            {
                throw new InputException(ex.Message);
            }

            var report = new AnalysisOutput(distances.Count, settings.K, settings.HubSize, results, settings.IncludeNeighbours, labels is not null, settings.RecallAgainst, total.Elapsed);
            if (settings.Format == OutputFormat.Json)
            {
                AnalysisWriter.WriteJson(report, output);
            }
            else
            {
                AnalysisWriter.WriteTable(report, output);
            }

            return 0;
        }
        catch (InputException ex)
        {
            log.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (OutOfMemoryException)
        {
            log.WriteLine("error: not enough memory for a dense analysis of this catalogue; use fewer songs or the streaming engine.");
            return 1;
        }
    }

    /// <summary>none + mp-empiric up to 20,000 songs, none + mp-quantile above.</summary>
    public static IReadOnlyList<Method> DefaultMethods(int count) =>
        count <= EmpiricDefaultLimit ? [Method.None, Method.MpEmpiric] : [Method.None, Method.MpQuantile];

    private static (DistanceMatrix Distances, IReadOnlyList<string> Ids, IReadOnlyList<IReadOnlyList<string>>? Labels) Load(AnalyzeSettings settings, TextWriter log)
    {
        var sw = Stopwatch.StartNew();
        if (settings.DistancesPath is { } path)
        {
            var matrix = MatrixFile.Read(path);
            log.WriteLine($"read {matrix.Distances.Count}x{matrix.Distances.Count} distances from {path}: {sw.Elapsed.TotalSeconds:F1} s");
            return (matrix.Distances, matrix.Ids, null);
        }

        var featuresPath = settings.FeaturesPath!;
        if (!File.Exists(featuresPath))
        {
            throw new InputException($"{featuresPath}: file not found.");
        }

        FeaturesReadResult read;
        try
        {
            read = FeaturesJsonLines.ReadFile(featuresPath);
        }
        catch (IOException ex)
        {
            throw new InputException($"{featuresPath}: cannot read ({ex.Message}).");
        }

        if (read.Errors.Count > 0)
        {
            var more = read.Errors.Count > 1 ? $" (and {read.Errors.Count - 1} more malformed lines)" : string.Empty;
            foreach (var error in read.Errors.Skip(1).Take(20))
            {
                log.WriteLine($"  {featuresPath}: {error}");
            }

            throw new InputException($"{featuresPath}: {read.Errors[0]}{more}.");
        }

        var songs = read.Songs;
        if (songs.Count == 0)
        {
            throw new InputException($"{featuresPath}: no songs.");
        }

        if (songs.Count > DenseLimit)
        {
            throw new InputException($"{featuresPath}: {songs.Count} songs exceed the dense analysis limit of {DenseLimit}; stream them through the catalogue engine instead.");
        }

        var models = new GaussianModel[songs.Count];
        var repaired = 0;
        for (var i = 0; i < songs.Count; i++)
        {
            try
            {
                models[i] = GaussianModel.FromMoments(songs[i].Mean, songs[i].Covariance);
            }
            catch (ArgumentException ex)
            {
                throw new InputException($"{featuresPath}: song \"{songs[i].Id}\": {ex.Message.Split(" (Parameter")[0]}");
            }

            if (models[i].RepairedEigenvalues > 0)
            {
                repaired++;
            }
        }

        log.WriteLine($"read {songs.Count} songs from {featuresPath}: {sw.Elapsed.TotalSeconds:F1} s{(repaired > 0 ? $" ({repaired} covariances repaired by the eigenvalue floor)" : string.Empty)}");
        sw.Restart();
        var values = SklMatrix.AllPairs(models, settings.Threads);
        log.WriteLine($"SKL distances ({(long)songs.Count * (songs.Count - 1) / 2} pairs, fast kernel): {sw.Elapsed.TotalSeconds:F1} s");
        return (DistanceMatrix.Create(values, songs.Count), songs.Select(s => s.Id).ToArray(), songs.Select(s => s.Labels).ToArray());
    }

    private static HashSet<string>[]? MergeLabels(
        AnalyzeSettings settings,
        IReadOnlyList<string> ids,
        IReadOnlyList<IReadOnlyList<string>>? jsonlLabels,
        TextWriter log)
    {
        var sets = new HashSet<string>[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            sets[i] = new HashSet<string>(jsonlLabels?[i] ?? [], StringComparer.Ordinal);
        }

        if (settings.LabelsPath is { } path)
        {
            var fromFile = LabelsFile.Read(path);
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < ids.Count; i++)
            {
                index[ids[i]] = i;
            }

            var unknown = 0;
            foreach (var (id, labels) in fromFile)
            {
                if (index.TryGetValue(id, out var i))
                {
                    sets[i].UnionWith(labels);
                }
                else
                {
                    unknown++;
                }
            }

            if (unknown > 0)
            {
                log.WriteLine($"warning: {path}: {unknown} ids are not in the catalogue and were ignored.");
            }
        }

        var labelled = sets.Count(s => s.Count > 0);
        if (labelled == 0)
        {
            if (settings.LabelsPath is not null)
            {
                throw new InputException($"{settings.LabelsPath}: no label matches a song id of the input.");
            }

            return null;
        }

        log.WriteLine($"{labelled} of {ids.Count} songs labelled");
        return sets;
    }
}
