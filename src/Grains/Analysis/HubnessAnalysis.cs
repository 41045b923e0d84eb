using System.Diagnostics;

namespace OrleansHub.Grains.Analysis;

/// <summary>Result of one method of <see cref="HubnessAnalysis"/>.</summary>
/// <param name="Method">The neighbour relation.</param>
/// <param name="Lists">k-NN lists under it.</param>
/// <param name="Report">Hubness measures of the lists.</param>
/// <param name="RetrievalAccuracy">R^k (null without labels).</param>
/// <param name="KnnAccuracy">Leave-one-out k-NN genre accuracy (null without labels).</param>
/// <param name="Recall">Tie-tolerant recall against the reference method, when one was asked for.</param>
/// <param name="Elapsed">Time spent on this method.</param>
public sealed record MethodResult(
    Method Method,
    NeighbourLists Lists,
    HubnessReport Report,
    double? RetrievalAccuracy,
    double? KnnAccuracy,
    double? Recall,
    TimeSpan Elapsed);

/// <summary>What to analyse.</summary>
/// <param name="Methods">Methods in output order.</param>
/// <param name="K">Neighbours per list.</param>
/// <param name="HubSize">Hub factor h (hub: O^k ≥ h·k).</param>
/// <param name="Mp">Settings of the MP variants.</param>
/// <param name="RecallAgainst">If set, every method's lists are scored by tie-tolerant recall against this exact method.</param>
public sealed record AnalysisSettings(IReadOnlyList<Method> Methods, int K = 5, int HubSize = 5, MpOptions? Mp = null, Method? RecallAgainst = null);

/// <summary>
/// The batch hubness analysis behind <c>orleanshub analyze</c>: k-NN lists under every requested
/// method on one distance matrix, with the measures of SPEC §1. The exact rank matrix is built
/// once and shared by empiric and independent MP.
/// </summary>
public static class HubnessAnalysis
{
    /// <summary>Runs the analysis. Labels, when given, hold one set per song (empty = unlabelled).</summary>
    /// <exception cref="ArgumentException">k ≥ n, k ≤ 0, hub size ≤ 0 or no method.</exception>
    public static IReadOnlyList<MethodResult> Run(
        DistanceMatrix distances,
        AnalysisSettings settings,
        IReadOnlyList<IReadOnlySet<string>>? labels = null,
        Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(distances);
        ArgumentNullException.ThrowIfNull(settings);
        var n = distances.Count;
        if (settings.K <= 0)
        {
            throw new ArgumentException($"k must be positive, got {settings.K}.");
        }

        if (settings.K >= n)
        {
            throw new ArgumentException($"k ({settings.K}) must be smaller than the number of songs ({n}).");
        }

        if (settings.HubSize <= 0)
        {
            throw new ArgumentException($"The hub size must be positive, got {settings.HubSize}.");
        }

        if (settings.Methods.Count == 0)
        {
            throw new ArgumentException("At least one method is needed.");
        }

        if (labels is not null && labels.Count != n)
        {
            throw new ArgumentException($"Expected labels for {n} songs, got {labels.Count}.");
        }

        var mp = settings.Mp ?? new MpOptions();
        RankMatrix? ranks = null;
        RankMatrix Ranks()
        {
            if (ranks is null)
            {
                var sw = Stopwatch.StartNew();
                ranks = RankMatrix.Build(distances, mp.MaxDegreeOfParallelism);
                progress?.Invoke($"exact rank matrix: {sw.Elapsed.TotalSeconds:F1} s");
            }

            return ranks;
        }

        bool NeedsRanks(Method m) => m is Method.MpEmpiric or Method.MpIndependent;

        PairScorer? referenceScorer = null;
        NeighbourLists? referenceLists = null;
        if (settings.RecallAgainst is { } reference)
        {
            var sw = Stopwatch.StartNew();
            referenceScorer = MutualProximity.CreateScorer(distances, reference, mp, NeedsRanks(reference) ? Ranks() : null);
            referenceLists = MutualProximity.Neighbours(distances, reference, settings.K, mp, referenceScorer.Ranks);
            progress?.Invoke($"reference {MutualProximity.Name(reference)}: {sw.Elapsed.TotalSeconds:F1} s");
        }

        var results = new List<MethodResult>(settings.Methods.Count);
        foreach (var method in settings.Methods)
        {
            var sw = Stopwatch.StartNew();
            var lists = method == settings.RecallAgainst && referenceLists is not null
                ? referenceLists
                : MutualProximity.Neighbours(distances, method, settings.K, mp, NeedsRanks(method) ? Ranks() : null);
            var report = HubnessMeasures.Compute(lists, settings.K, settings.HubSize);
            double? retrieval = null, knn = null, recall = null;
            if (labels is not null)
            {
                retrieval = HubnessMeasures.RetrievalAccuracy(lists, labels);
                knn = HubnessMeasures.KnnAccuracy(lists, labels);
            }

            if (referenceScorer is not null)
            {
                recall = MutualProximity.TieTolerantRecall(lists, referenceLists!, referenceScorer);
            }

            results.Add(new MethodResult(method, lists, report, retrieval, knn, recall, sw.Elapsed));
            progress?.Invoke($"{MutualProximity.Name(method)}: {sw.Elapsed.TotalSeconds:F1} s");
        }

        return results;
    }
}
