using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Engine;

/// <summary>An event of the catalogue log. Sequence numbers strictly increase along the log.</summary>
/// <param name="Sequence">Position in the log.</param>
public abstract record CatalogueEvent(long Sequence);

/// <summary>Insert one song.</summary>
/// <param name="Sequence">Position in the log.</param>
/// <param name="Id">Unique song id.</param>
/// <param name="Model">The song's Gaussian.</param>
public sealed record InsertSong(long Sequence, string Id, GaussianModel Model) : CatalogueEvent(Sequence);

/// <summary>Delete one song.</summary>
/// <param name="Sequence">Position in the log.</param>
/// <param name="Id">Id of a live song.</param>
public sealed record DeleteSong(long Sequence, string Id) : CatalogueEvent(Sequence);

/// <summary>
/// Insert many songs with the many-vs-many kernel; the songs take the sequence numbers
/// Sequence, Sequence + 1, … and the resulting state equals inserting them one by one.
/// </summary>
/// <param name="Sequence">Sequence number of the first song.</param>
/// <param name="Songs">Songs in log order.</param>
public sealed record InsertBatch(long Sequence, IReadOnlyList<InsertSong> Songs) : CatalogueEvent(Sequence);

/// <summary>An alert raised by the engine, with the sequence number of the event that caused it.</summary>
/// <param name="Sequence">Sequence number of the causing event.</param>
public abstract record Alert(long Sequence);

/// <summary>A song reached O^k ≥ h·k under <paramref name="Metric"/>.</summary>
public sealed record HubEmerged(long Sequence, string Id, Metric Metric, int Occurrence) : Alert(Sequence);

/// <summary>A hub fell below the recede threshold (hysteresis) under <paramref name="Metric"/>.</summary>
public sealed record HubReceded(long Sequence, string Id, Metric Metric, int Occurrence) : Alert(Sequence);

/// <summary>A song turned hub within the suspicious window after its own insertion (the adversarial-hub signature).</summary>
public sealed record SuspiciousUpload(long Sequence, string Id, long InsertedAt, Metric Metric, int OccurrenceSkl, int OccurrenceMp) : Alert(Sequence);

/// <summary>An upload whose distances to the catalogue are extreme outliers (z-score of its log median distance).</summary>
public sealed record AnomalousUpload(long Sequence, string Id, double MedianDistance, double Z) : Alert(Sequence);

/// <summary>A catalogue-level hubness measure crossed its threshold (Rising: from below to above).</summary>
public sealed record CatalogueDrift(long Sequence, Metric Metric, string Measure, double Value, double Threshold, bool Rising) : Alert(Sequence);
