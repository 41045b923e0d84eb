namespace OrleansHub.Silo.Storage;

/// <summary>One event of the append-only log: the source of truth of the catalogue.</summary>
/// <param name="Sequence">Position in the log, 1-based, gap-free, assigned by the store.</param>
/// <param name="Type">Event kind (e.g. <c>insert</c>, <c>delete</c>, <c>batch</c>), for readers that skip kinds.</param>
/// <param name="Payload">The serialised event; opaque to the store.</param>
/// <param name="RecordedAt">When the store made it durable (UTC).</param>
public sealed record StoredEvent(long Sequence, string Type, byte[] Payload, DateTimeOffset RecordedAt);

/// <summary>A change of the song index made in the same transaction as an event: the id now has this content hash, or (Hash null) is gone.</summary>
/// <param name="Id">Song id.</param>
/// <param name="Hash">Content hash of the song's features, or null when the event deletes it.</param>
public sealed record SongIndexChange(string Id, string? Hash);

/// <summary>An event to append, with the song-index changes it implies.</summary>
/// <param name="Type">Event kind.</param>
/// <param name="Payload">Serialised event.</param>
/// <param name="Index">Song-index changes committed atomically with the event.</param>
public sealed record PendingEvent(string Type, byte[] Payload, IReadOnlyList<SongIndexChange> Index);

/// <summary>A persisted alert.</summary>
/// <param name="Id">Position in the alert log (1-based, gap-free): the SSE event id.</param>
/// <param name="Sequence">Sequence number of the event that caused it.</param>
/// <param name="Type">Alert kind.</param>
/// <param name="Json">The alert as JSON.</param>
/// <param name="RecordedAt">When it was stored (UTC).</param>
public sealed record StoredAlert(long Id, long Sequence, string Type, string Json, DateTimeOffset RecordedAt);

/// <summary>A saved engine state and the last event it includes.</summary>
/// <param name="Sequence">The state reflects events 1..Sequence.</param>
/// <param name="State">The serialised engine state; opaque to the store (it carries its own checksum).</param>
public sealed record StoredSnapshot(long Sequence, byte[] State);

/// <summary>
/// Persistence of a catalogue: an append-only event log and periodic snapshots. Start-up is the
/// latest usable snapshot plus the events after it. The embedded implementation is SQLite; the
/// cluster mode implements the same contract on PostgreSQL.
/// </summary>
public interface ICatalogueStore : IAsyncDisposable
{
    /// <summary>
    /// Appends events in one transaction and returns their sequence numbers. When the task completes
    /// the events are durable (they survive a process kill or power loss), so a write may be
    /// acknowledged to its client. Either all events of the call are stored or none.
    /// </summary>
    Task<IReadOnlyList<long>> AppendAsync(IReadOnlyList<PendingEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Every song id with its content hash (the index kept by <see cref="AppendAsync"/>).</summary>
    Task<Dictionary<string, string>> LoadSongIndexAsync(CancellationToken cancellationToken = default);

    /// <summary>Appends alerts durably and returns them with their ids.</summary>
    Task<IReadOnlyList<StoredAlert>> AppendAlertsAsync(IReadOnlyList<(long Sequence, string Type, string Json)> alerts, CancellationToken cancellationToken = default);

    /// <summary>Alerts with an id greater than <paramref name="afterId"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredAlert>> ReadAlertsAfterAsync(long afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>The causing sequence number of the newest stored alert (0 when none): replay must not store alerts again up to it.</summary>
    Task<long> LastAlertSequenceAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores the SHA-256 hash of an API key.</summary>
    Task AddApiKeyHashAsync(string hash, CancellationToken cancellationToken = default);

    /// <summary>Every stored API key hash.</summary>
    Task<IReadOnlyList<string>> ApiKeyHashesAsync(CancellationToken cancellationToken = default);

    /// <summary>The sequence number of the last durable event (0 for an empty log).</summary>
    Task<long> LastSequenceAsync(CancellationToken cancellationToken = default);

    /// <summary>Events with a sequence number greater than <paramref name="after"/>, in order.</summary>
    IAsyncEnumerable<StoredEvent> ReadAfterAsync(long after, CancellationToken cancellationToken = default);

    /// <summary>Stores a snapshot durably and prunes all but the newest <paramref name="keep"/> snapshots.</summary>
    Task SaveSnapshotAsync(StoredSnapshot snapshot, int keep = 2, CancellationToken cancellationToken = default);

    /// <summary>Snapshots newest first, so a caller can fall back to an older one when a newer one fails its own checksum.</summary>
    IAsyncEnumerable<StoredSnapshot> SnapshotsNewestFirstAsync(CancellationToken cancellationToken = default);
}
