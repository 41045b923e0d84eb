using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OrleansHub.Contracts;
using OrleansHub.Grains.Engine;
using OrleansHub.Grains.Model;
using OrleansHub.Silo.Options;
using OrleansHub.Silo.Security;
using OrleansHub.Silo.Storage;

namespace OrleansHub.Silo.Hosting;

/// <summary>
/// Hosts the catalogue engine: recovery at start (latest valid snapshot + replay of the log tail),
/// a single writer that makes every event durable before applying it, and concurrent reads under
/// a reader lock so that every read sees the state between two events.
/// </summary>
public sealed partial class CatalogueService : IHostedService, IAsyncDisposable
{
    private const int ReplayBatch = 512;
    private readonly OrleansHubOptions _options;
    private readonly ILogger<CatalogueService> _logger;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Channel<WriteRequest> _writes = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "The store is a seam: cluster mode implements it on PostgreSQL.")]
    private ICatalogueStore? _store;
    private CatalogueEngine _engine = null!;
    private Dictionary<string, string> _index = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _keyHashes = [];
    private Task _writer = Task.CompletedTask;
    private long _eventsSinceSnapshot;
    private TaskCompletionSource _alertSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _ready;
    private volatile bool _failed;
    private int _disposed;

    /// <summary>Creates the service; nothing happens until <see cref="StartAsync"/>.</summary>
    public CatalogueService(IOptions<OrleansHubOptions> options, ILogger<CatalogueService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>True once recovery has finished and the writer runs.</summary>
    public bool IsReady => _ready && !_failed;

    /// <summary>Writes waiting for the single writer (queue depth).</summary>
    public int PendingWrites => _writes.Reader.Count;

    /// <summary>The engine's neighbours per list.</summary>
    public int K => _options.K;

    /// <summary>The store (for alerts and keys).</summary>
    public ICatalogueStore Store => _store ?? throw new InvalidOperationException("The catalogue has not started.");

    /// <summary>Completes when new alerts have been stored (for server-sent events).</summary>
    public Task AlertSignal => Volatile.Read(ref _alertSignal).Task;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var path = Path.Combine(_options.DataDirectory, "orleanshub.db");
        _store = await SqliteCatalogueStore.OpenAsync(path, cancellationToken).ConfigureAwait(false);
        await EnsureApiKeyAsync(cancellationToken).ConfigureAwait(false);
        _index = await _store.LoadSongIndexAsync(cancellationToken).ConfigureAwait(false);

        var engineOptions = new EngineOptions(K: _options.K, HubSize: _options.HubSize);
        CatalogueEngine? engine = null;
        await foreach (var snapshot in _store.SnapshotsNewestFirstAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                using var stream = new MemoryStream(snapshot.State, writable: false);
                engine = CatalogueEngine.ReadSnapshot(stream);
                LogInformationSnapshotLoaded(_logger, snapshot.Sequence, engine.Count, clock.Elapsed.TotalSeconds);
                break;
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentException)
            {
                LogWarningSnapshotRejected(_logger, snapshot.Sequence, ex.Message);
            }
        }

        _engine = engine ?? new CatalogueEngine(engineOptions);
        var replayClock = Stopwatch.StartNew();
        var lastAlert = await _store.LastAlertSequenceAsync(cancellationToken).ConfigureAwait(false);
        long replayed = 0;

        // Consecutive inserts are replayed as engine batches (many-vs-many kernel): the engine
        // guarantees the same state and alerts as one-by-one insertion, several times faster.
        var pending = new List<InsertSong>(ReplayBatch);
        async Task FlushAsync()
        {
            if (pending.Count == 0)
            {
                return;
            }

            CatalogueEvent batch = pending.Count == 1 ? pending[0] : new InsertBatch(pending[0].Sequence, pending.ToList());
            await ReplayAsync(batch, lastAlert, cancellationToken).ConfigureAwait(false);
            pending.Clear();
        }

        await foreach (var stored in _store.ReadAfterAsync(_engine.LastSequence, cancellationToken).ConfigureAwait(false))
        {
            var decoded = Decode(stored);
            replayed++;
            if (decoded is InsertSong insert)
            {
                pending.Add(insert);
                if (pending.Count == ReplayBatch)
                {
                    await FlushAsync().ConfigureAwait(false);
                }

                continue;
            }

            await FlushAsync().ConfigureAwait(false);
            await ReplayAsync(decoded, lastAlert, cancellationToken).ConfigureAwait(false);
        }

        await FlushAsync().ConfigureAwait(false);
        _eventsSinceSnapshot = replayed;
        LogInformationRecovered(_logger, replayed, replayClock.Elapsed.TotalSeconds, _engine.Count, clock.Elapsed.TotalSeconds);
        _writer = Task.Run(() => WriterLoopAsync(_stopping.Token), CancellationToken.None);
        _ready = true;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _ready = false;
        _writes.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Registered as a singleton and as a hosted service: the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _writes.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        _lock.Dispose();
        _stopping.Dispose();
    }

    /// <summary>True when <paramref name="key"/> is the configured key or matches a stored hash.</summary>
    public bool IsValidKey(string? key) =>
        !string.IsNullOrEmpty(key)
        && ((_options.ApiKey is { Length: > 0 } configured && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(configured)))
            || ApiKeys.Matches(key, _keyHashes));

    /// <summary>Inserts one song (idempotent by id and content).</summary>
    public Task<WriteOutcome> InsertAsync(SongFeatures song, CancellationToken cancellationToken) =>
        EnqueueAsync(new WriteRequest([song], null), cancellationToken);

    /// <summary>Inserts songs as one batch: all new songs of the batch or none (409 when an id is taken by other content).</summary>
    public Task<WriteOutcome> InsertBatchAsync(IReadOnlyList<SongFeatures> songs, CancellationToken cancellationToken) =>
        EnqueueAsync(new WriteRequest(songs, null), cancellationToken);

    /// <summary>Deletes a song.</summary>
    public Task<WriteOutcome> DeleteAsync(string id, CancellationToken cancellationToken) =>
        EnqueueAsync(new WriteRequest([], id), cancellationToken);

    /// <summary>Runs <paramref name="read"/> on a consistent state (between two events).</summary>
    public T Read<T>(Func<CatalogueEngine, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _lock.EnterReadLock();
        try
        {
            return read(_engine);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The stored content hash of a song's features line.</summary>
    internal static string ContentHash(SongFeatures song) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(FeaturesJsonLines.ToLine(song))));

    private async Task ReplayAsync(CatalogueEvent catalogueEvent, long lastAlertSequence, CancellationToken cancellationToken)
    {
        var alerts = _engine.Apply(catalogueEvent);
        var fresh = alerts.Where(a => a.Sequence > lastAlertSequence).ToList();
        if (fresh.Count > 0)
        {
            await StoreAlertsAsync(fresh, cancellationToken).ConfigureAwait(false);
        }
    }

    private static CatalogueEvent Decode(StoredEvent stored)
    {
        var text = Encoding.UTF8.GetString(stored.Payload);
        switch (stored.Type)
        {
            case "insert":
                var song = FeaturesJsonLines.ParseLine(text, out var error)
                    ?? throw new InvalidDataException($"Event {stored.Sequence}: unreadable song ({error}).");
                return new InsertSong(stored.Sequence, song.Id, GaussianModel.FromMoments(song.Mean, song.Covariance));
            case "delete":
                return new DeleteSong(stored.Sequence, text);
            default:
                throw new InvalidDataException($"Event {stored.Sequence}: unknown type '{stored.Type}'.");
        }
    }

    private async Task<WriteOutcome> EnqueueAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        if (!IsReady)
        {
            return new WriteOutcome(WriteStatus.Unavailable, 0, [], []);
        }

        await _writes.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        return await request.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriterLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var request in _writes.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_failed)
            {
                request.Completion.TrySetResult(new WriteOutcome(WriteStatus.Unavailable, 0, [], []));
                continue;
            }

            try
            {
                var outcome = request.DeleteId is { } id
                    ? await DeleteCoreAsync(id, cancellationToken).ConfigureAwait(false)
                    : await InsertCoreAsync(request.Songs, cancellationToken).ConfigureAwait(false);
                request.Completion.TrySetResult(outcome);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The event may be durable but not applied: stop accepting writes; a restart replays the log.
                _failed = true;
                LogCriticalWriterFailed(_logger, ex);
                request.Completion.TrySetException(ex);
            }
        }
    }

    private async Task<WriteOutcome> InsertCoreAsync(IReadOnlyList<SongFeatures> songs, CancellationToken cancellationToken)
    {
        var conflicts = new List<string>();
        var fresh = new List<(SongFeatures Song, string Hash)>();
        var seenInRequest = new HashSet<string>(StringComparer.Ordinal);
        long existingSequence = 0;
        foreach (var song in songs)
        {
            var hash = ContentHash(song);
            if (_index.TryGetValue(song.Id, out var stored))
            {
                if (stored != hash)
                {
                    conflicts.Add(song.Id);
                }

                existingSequence = Math.Max(existingSequence, Read(e => e.Lookup(song.Id)?.InsertedAt ?? 0));
                continue;
            }

            if (!seenInRequest.Add(song.Id))
            {
                conflicts.Add(song.Id);
                continue;
            }

            fresh.Add((song, hash));
        }

        if (conflicts.Count > 0)
        {
            return new WriteOutcome(WriteStatus.Conflict, 0, [], conflicts);
        }

        if (fresh.Count == 0)
        {
            return new WriteOutcome(WriteStatus.Existing, existingSequence, [], songs.Select(s => s.Id).ToList());
        }

        var models = fresh.Select(f => GaussianModel.FromMoments(f.Song.Mean, f.Song.Covariance)).ToList();
        var pending = fresh.Select(f => new PendingEvent("insert", Encoding.UTF8.GetBytes(FeaturesJsonLines.ToLine(f.Song)), [new SongIndexChange(f.Song.Id, f.Hash)])).ToList();
        var sequences = await Store.AppendAsync(pending, cancellationToken).ConfigureAwait(false);

        var inserts = fresh.Select((f, i) => new InsertSong(sequences[i], f.Song.Id, models[i])).ToList();
        CatalogueEvent applied = inserts.Count == 1 ? inserts[0] : new InsertBatch(sequences[0], inserts);
        var alerts = Apply(applied);
        foreach (var (song, hash) in fresh)
        {
            _index[song.Id] = hash;
        }

        await AfterWriteAsync(alerts, fresh.Count, cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(WriteStatus.Created, sequences[^1], alerts, fresh.Select(f => f.Song.Id).ToList());
    }

    private async Task<WriteOutcome> DeleteCoreAsync(string id, CancellationToken cancellationToken)
    {
        if (!_index.ContainsKey(id))
        {
            return new WriteOutcome(WriteStatus.NotFound, 0, [], [id]);
        }

        var sequences = await Store.AppendAsync([new PendingEvent("delete", Encoding.UTF8.GetBytes(id), [new SongIndexChange(id, null)])], cancellationToken).ConfigureAwait(false);
        var alerts = Apply(new DeleteSong(sequences[0], id));
        _index.Remove(id);
        await AfterWriteAsync(alerts, 1, cancellationToken).ConfigureAwait(false);
        return new WriteOutcome(WriteStatus.Created, sequences[0], alerts, [id]);
    }

    private IReadOnlyList<Alert> Apply(CatalogueEvent catalogueEvent)
    {
        _lock.EnterWriteLock();
        try
        {
            return _engine.Apply(catalogueEvent);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private async Task AfterWriteAsync(IReadOnlyList<Alert> alerts, int events, CancellationToken cancellationToken)
    {
        if (alerts.Count > 0)
        {
            await StoreAlertsAsync(alerts, cancellationToken).ConfigureAwait(false);
        }

        _eventsSinceSnapshot += events;
        if (_eventsSinceSnapshot >= _options.SnapshotEvery)
        {
            var clock = Stopwatch.StartNew();
            using var stream = new MemoryStream();
            var sequence = Read(e =>
            {
                e.WriteSnapshot(stream);
                return e.LastSequence;
            });
            await Store.SaveSnapshotAsync(new StoredSnapshot(sequence, stream.ToArray()), keep: 2, cancellationToken).ConfigureAwait(false);
            _eventsSinceSnapshot = 0;
            LogInformationSnapshotWritten(_logger, sequence, stream.Length, clock.Elapsed.TotalMilliseconds);
        }
    }

    private async Task StoreAlertsAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        await Store.AppendAlertsAsync(alerts.Select(a => (a.Sequence, AlertJson.TypeOf(a), AlertJson.Serialize(a))).ToList(), cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _alertSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private async Task EnsureApiKeyAsync(CancellationToken cancellationToken)
    {
        _keyHashes = await Store.ApiKeyHashesAsync(cancellationToken).ConfigureAwait(false);
        if (_keyHashes.Count == 0 && string.IsNullOrEmpty(_options.ApiKey))
        {
            var key = ApiKeys.Generate();
            await Store.AddApiKeyHashAsync(ApiKeys.Hash(key), cancellationToken).ConfigureAwait(false);
            _keyHashes = [ApiKeys.Hash(key)];
            LogWarningApiKeyCreated(_logger, key);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded snapshot at sequence {Sequence} ({Songs} songs) in {Seconds:F2} s")]
    private static partial void LogInformationSnapshotLoaded(ILogger logger, long sequence, int songs, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot at sequence {Sequence} rejected ({Reason}); trying an older one")]
    private static partial void LogWarningSnapshotRejected(ILogger logger, long sequence, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered: replayed {Events} events in {ReplaySeconds:F2} s; {Songs} songs; ready after {Seconds:F2} s")]
    private static partial void LogInformationRecovered(ILogger logger, long events, double replaySeconds, int songs, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at sequence {Sequence} written ({Bytes} bytes, {Milliseconds:F0} ms)")]
    private static partial void LogInformationSnapshotWritten(ILogger logger, long sequence, long bytes, double milliseconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The catalogue writer failed; writes are refused until a restart replays the log")]
    private static partial void LogCriticalWriterFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API key was configured: created one, shown only now. X-Api-Key: {Key}")]
    private static partial void LogWarningApiKeyCreated(ILogger logger, string key);

    private sealed class WriteRequest(IReadOnlyList<SongFeatures> songs, string? deleteId)
    {
        public IReadOnlyList<SongFeatures> Songs { get; } = songs;

        public string? DeleteId { get; } = deleteId;

        public TaskCompletionSource<WriteOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
