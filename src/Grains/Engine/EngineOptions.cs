namespace OrleansHub.Grains.Engine;

/// <summary>
/// Settings of a <see cref="CatalogueEngine"/>. They are part of the engine state (a snapshot
/// stores them) because changing any of them changes the results.
/// </summary>
/// <param name="K">Neighbours per list (SKL and MP).</param>
/// <param name="Candidates">m: size of each song's MP candidate buffer (songs ranked by the served MP, mp-quantile).</param>
/// <param name="Quantiles">Q: knots per distance sketch.</param>
/// <param name="Tail">L: exact nearest SKL distances kept per song (its SKL list is the first k; they also make F(d) exact for small d).</param>
/// <param name="Staleness">R: every live song's MP list is re-ranked at least once every R insertions.</param>
/// <param name="MinRefresh">At least this many songs (or all) are re-ranked per insertion, so that small catalogues, whose distributions move by about 1/n per insertion, stay fresh (lists at most ⌈n / MinRefresh⌉ insertions stale).</param>
/// <param name="HubSize">h: a hub has O^k ≥ h·k.</param>
/// <param name="HubRecedeFraction">Hysteresis: a hub recedes once O^k &lt; fraction·h·k.</param>
/// <param name="SuspiciousWindow">A song that turns hub within this many events after its own insertion raises a suspicious-upload alert.</param>
/// <param name="AnomalyZ">z-score of log(median distance) (against the running mean and standard deviation of earlier uploads) above which an upload is anomalous.</param>
/// <param name="AnomalyMinSongs">No anomaly alert before the catalogue holds this many songs.</param>
/// <param name="DriftSkewness">Drift alert when S^k crosses this value (per metric).</param>
/// <param name="DriftHubShare">Drift alert when the hub share crosses this value.</param>
/// <param name="DriftAntihubShare">Drift alert when the anti-hub share crosses this value.</param>
/// <param name="DriftMinSongs">No drift alert before the catalogue holds this many songs.</param>
/// <param name="ShardCapacity">Songs per shard (the unit of parallel kernel work).</param>
/// <param name="MaxDegreeOfParallelism">Threads (−1: all cores). Results never depend on it.</param>
public sealed record EngineOptions(
    int K = 5,
    int Candidates = 16,
    int Quantiles = 64,
    int Tail = 64,
    int Staleness = 1000,
    int MinRefresh = 128,
    int HubSize = 5,
    double HubRecedeFraction = 0.8,
    int SuspiciousWindow = 100,
    double AnomalyZ = 6.0,
    int AnomalyMinSongs = 50,
    double DriftSkewness = 3.0,
    double DriftHubShare = 0.02,
    double DriftAntihubShare = 0.35,
    int DriftMinSongs = 100,
    int ShardCapacity = 8192,
    int MaxDegreeOfParallelism = -1)
{
    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(K);
        ArgumentOutOfRangeException.ThrowIfLessThan(Candidates, K);
        ArgumentOutOfRangeException.ThrowIfLessThan(Quantiles, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(Tail, K);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Staleness);
        ArgumentOutOfRangeException.ThrowIfNegative(MinRefresh);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HubSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SuspiciousWindow);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ShardCapacity);
        if (HubRecedeFraction is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(HubRecedeFraction), "Must be in (0, 1].");
        }

        if (MaxDegreeOfParallelism is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), "Must be −1 or positive.");
        }
    }
}

/// <summary>The two neighbour relations the engine serves.</summary>
public enum Metric
{
    /// <summary>The base distance D_SKL.</summary>
    Skl,

    /// <summary>The served Mutual Proximity (mp-quantile with exact low tails).</summary>
    Mp,
}
