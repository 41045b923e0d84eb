using OrleansHub.Grains.Analysis;

namespace OrleansHub.Client.Analyze;

/// <summary>Output format of <c>analyze</c>.</summary>
internal enum OutputFormat
{
    /// <summary>Methods side by side for a person.</summary>
    Table,

    /// <summary>The documented JSON schema.</summary>
    Json,
}

/// <summary>Everything <c>orleanshub analyze</c> was asked to do.</summary>
internal sealed record AnalyzeSettings(
    string? DistancesPath,
    string? FeaturesPath,
    int K,
    int HubSize,
    IReadOnlyList<Method>? Methods,
    int Quantiles,
    int Samples,
    ulong Seed,
    string? LabelsPath,
    bool IncludeNeighbours,
    OutputFormat Format,
    Method? RecallAgainst,
    int Threads);
