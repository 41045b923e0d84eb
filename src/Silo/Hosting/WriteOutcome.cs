using OrleansHub.Grains.Engine;

namespace OrleansHub.Silo.Hosting;

/// <summary>Result of a write sent to the catalogue.</summary>
public enum WriteStatus
{
    /// <summary>Applied and durable.</summary>
    Created,

    /// <summary>The same song (same id, same content) was already present: nothing changed.</summary>
    Existing,

    /// <summary>A different song already uses the id.</summary>
    Conflict,

    /// <summary>No such song.</summary>
    NotFound,

    /// <summary>The catalogue is not ready (recovering) or failed.</summary>
    Unavailable,
}

/// <summary>What a write did.</summary>
/// <param name="Status">Outcome.</param>
/// <param name="Sequence">Sequence number of the (last) event written, or of the existing song.</param>
/// <param name="Alerts">Alerts the write raised.</param>
/// <param name="Ids">Ids concerned (conflicting ids for a rejected batch, inserted ids otherwise).</param>
public sealed record WriteOutcome(WriteStatus Status, long Sequence, IReadOnlyList<Alert> Alerts, IReadOnlyList<string> Ids);
