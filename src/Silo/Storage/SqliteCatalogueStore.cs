using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace OrleansHub.Silo.Storage;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so every
/// committed transaction is on disk before <see cref="AppendAsync"/> returns. Writes are
/// serialised on one connection; reads open their own connections and see committed data only.
/// </summary>
/// <remarks>
/// Schema: <c>events(seq INTEGER PRIMARY KEY, type TEXT, payload BLOB, recorded_at INTEGER)</c> and
/// <c>snapshots(seq INTEGER PRIMARY KEY, state BLOB, recorded_at INTEGER)</c>, the song index
/// <c>songs(id, hash, seq)</c> written in the same transaction as the events, <c>alerts</c> and
/// hashed <c>api_keys</c>, and (schema 2) <c>webhooks</c> with their delivery cursor and
/// <c>webhook_dead_letters</c>, versioned by
/// <c>PRAGMA user_version</c>. A process killed mid-transaction leaves the WAL's last frame
/// incomplete; SQLite discards it on the next open, so the log holds exactly the acknowledged events.
/// </remarks>
public sealed class SqliteCatalogueStore : ICatalogueStore
{
    private const int SchemaVersion = 2;
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private long _lastSequence;

    private SqliteCatalogueStore(string connectionString, SqliteConnection writer, long lastSequence)
    {
        _connectionString = connectionString;
        _writer = writer;
        _lastSequence = lastSequence;
    }

    /// <summary>Path of the database file.</summary>
    public string Path { get; private init; } = string.Empty;

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The file was written by a newer schema version.</exception>
    public static async Task<SqliteCatalogueStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        SQLitePCL.Batteries_V2.Init();
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString();

        var writer = new SqliteConnection(connectionString);
        await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(writer, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(writer, "PRAGMA synchronous=FULL;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(writer, "PRAGMA busy_timeout=10000;", cancellationToken).ConfigureAwait(false);

            var version = Convert.ToInt32(await ScalarAsync(writer, "PRAGMA user_version;", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw new InvalidOperationException($"{full} was written by a newer OrleansHub (schema {version}, this build reads up to {SchemaVersion}).");
            }

            if (version == 0)
            {
                await ExecuteAsync(
                    writer,
                    """
                    CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, payload BLOB NOT NULL, recorded_at INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, state BLOB NOT NULL, recorded_at INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS songs (id TEXT PRIMARY KEY, hash TEXT NOT NULL, seq INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, type TEXT NOT NULL, json TEXT NOT NULL, recorded_at INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS api_keys (hash TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
                    PRAGMA user_version = 1;
                    """,
                    cancellationToken).ConfigureAwait(false);
                version = 1;
            }

            if (version == 1)
            {
                await ExecuteAsync(
                    writer,
                    """
                    CREATE TABLE IF NOT EXISTS webhooks (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, secret TEXT NOT NULL, types TEXT NOT NULL, cursor INTEGER NOT NULL, created_at INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS webhook_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id INTEGER NOT NULL, alert_id INTEGER NOT NULL, attempts INTEGER NOT NULL, last_error TEXT NOT NULL, failed_at INTEGER NOT NULL);
                    CREATE INDEX IF NOT EXISTS webhook_dead_letters_by_webhook ON webhook_dead_letters (webhook_id, id);
                    PRAGMA user_version = 2;
                    """,
                    cancellationToken).ConfigureAwait(false);
            }

            var last = await ScalarAsync(writer, "SELECT COALESCE(MAX(seq), 0) FROM events;", cancellationToken).ConfigureAwait(false);
            return new SqliteCatalogueStore(connectionString, writer, Convert.ToInt64(last, System.Globalization.CultureInfo.InvariantCulture)) { Path = full };
        }
        catch
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<long>> AppendAsync(IReadOnlyList<PendingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return [];
        }

        foreach (var e in events)
        {
            ArgumentNullException.ThrowIfNull(e);
            ArgumentException.ThrowIfNullOrEmpty(e.Type);
            ArgumentNullException.ThrowIfNull(e.Payload);
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var sequences = new long[events.Count];
            using var transaction = _writer.BeginTransaction();
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO events (seq, type, payload, recorded_at) VALUES ($seq, $type, $payload, $at);";
            var seq = command.Parameters.Add("$seq", SqliteType.Integer);
            var type = command.Parameters.Add("$type", SqliteType.Text);
            var payload = command.Parameters.Add("$payload", SqliteType.Blob);
            command.Parameters.AddWithValue("$at", now);
            using var put = _writer.CreateCommand();
            put.Transaction = transaction;
            put.CommandText = "INSERT OR REPLACE INTO songs (id, hash, seq) VALUES ($id, $hash, $seq);";
            var putId = put.Parameters.Add("$id", SqliteType.Text);
            var putHash = put.Parameters.Add("$hash", SqliteType.Text);
            var putSeq = put.Parameters.Add("$seq", SqliteType.Integer);
            using var remove = _writer.CreateCommand();
            remove.Transaction = transaction;
            remove.CommandText = "DELETE FROM songs WHERE id = $id;";
            var removeId = remove.Parameters.Add("$id", SqliteType.Text);
            for (var i = 0; i < events.Count; i++)
            {
                sequences[i] = _lastSequence + 1 + i;
                seq.Value = sequences[i];
                type.Value = events[i].Type;
                payload.Value = events[i].Payload;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                foreach (var change in events[i].Index)
                {
                    if (change.Hash is null)
                    {
                        removeId.Value = change.Id;
                        await remove.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        putId.Value = change.Id;
                        putHash.Value = change.Hash;
                        putSeq.Value = sequences[i];
                        await put.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            // Commit is synchronous on purpose: once it returns, the WAL frame is fsynced (synchronous=FULL).
            transaction.Commit();
            Interlocked.Add(ref _lastSequence, events.Count);
            return sequences;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<Dictionary<string, string>> LoadSongIndexAsync(CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync("SELECT id, hash FROM songs;", r => (Id: r.GetString(0), Hash: r.GetString(1)), cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(row => row.Id, row => row.Hash, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredAlert>> AppendAlertsAsync(IReadOnlyList<(long Sequence, string Type, string Json)> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
        {
            return [];
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = DateTimeOffset.UtcNow;
            var last = Convert.ToInt64(await ScalarAsync(_writer, "SELECT COALESCE(MAX(id), 0) FROM alerts;", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            var stored = new List<StoredAlert>(alerts.Count);
            using var transaction = _writer.BeginTransaction();
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO alerts (id, seq, type, json, recorded_at) VALUES ($id, $seq, $type, $json, $at);";
            var id = command.Parameters.Add("$id", SqliteType.Integer);
            var seq = command.Parameters.Add("$seq", SqliteType.Integer);
            var type = command.Parameters.Add("$type", SqliteType.Text);
            var json = command.Parameters.Add("$json", SqliteType.Text);
            command.Parameters.AddWithValue("$at", now.ToUnixTimeMilliseconds());
            foreach (var alert in alerts)
            {
                last++;
                id.Value = last;
                seq.Value = alert.Sequence;
                type.Value = alert.Type;
                json.Value = alert.Json;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                stored.Add(new StoredAlert(last, alert.Sequence, alert.Type, alert.Json, now));
            }

            transaction.Commit();
            return stored;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredAlert>> ReadAlertsAfterAsync(long afterId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return await QueryAsync(
            "SELECT id, seq, type, json, recorded_at FROM alerts WHERE id > $after ORDER BY id LIMIT $limit;",
            r => new StoredAlert(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))),
            cancellationToken,
            ("$after", afterId),
            ("$limit", limit)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> LastAlertSequenceAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt64(await ScalarAsync(connection, "SELECT COALESCE(MAX(seq), 0) FROM alerts;", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async Task AddApiKeyHashAsync(string hash, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _writer.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO api_keys (hash, created_at) VALUES ($hash, $at);";
            command.Parameters.AddWithValue("$hash", hash);
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ApiKeyHashesAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync("SELECT hash FROM api_keys;", r => r.GetString(0), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<long> LastSequenceAsync(CancellationToken cancellationToken = default) => Task.FromResult(Interlocked.Read(ref _lastSequence));

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadAfterAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, type, payload, recorded_at FROM events WHERE seq > $after ORDER BY seq;";
        command.Parameters.AddWithValue("$after", after);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredEvent(
                reader.GetInt64(0),
                reader.GetString(1),
                (byte[])reader.GetValue(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)));
        }
    }

    /// <inheritdoc />
    public async Task SaveSnapshotAsync(StoredSnapshot snapshot, int keep = 2, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        if (snapshot.Sequence < 0 || snapshot.Sequence > Interlocked.Read(ref _lastSequence))
        {
            throw new ArgumentOutOfRangeException(nameof(snapshot), $"A snapshot at sequence {snapshot.Sequence} is outside the log (last {_lastSequence}).");
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _writer.BeginTransaction();
            using (var insert = _writer.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT OR REPLACE INTO snapshots (seq, state, recorded_at) VALUES ($seq, $state, $at);";
                insert.Parameters.AddWithValue("$seq", snapshot.Sequence);
                insert.Parameters.AddWithValue("$state", snapshot.State);
                insert.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using (var prune = _writer.CreateCommand())
            {
                prune.Transaction = transaction;
                prune.CommandText = "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT $keep);";
                prune.Parameters.AddWithValue("$keep", keep);
                await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            transaction.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredSnapshot> SnapshotsNewestFirstAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, state FROM snapshots ORDER BY seq DESC;";
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredSnapshot(reader.GetInt64(0), (byte[])reader.GetValue(1));
        }
    }

    /// <inheritdoc />
    public async Task<StoredWebhook> AddWebhookAsync(string url, string secret, IReadOnlyList<string> types, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(types);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _writer.BeginTransaction();
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO webhooks (url, secret, types, cursor, created_at) VALUES ($url, $secret, $types, (SELECT COALESCE(MAX(id), 0) FROM alerts), $at);";
            command.Parameters.AddWithValue("$url", url);
            command.Parameters.AddWithValue("$secret", secret);
            command.Parameters.AddWithValue("$types", string.Join(',', types));
            command.Parameters.AddWithValue("$at", now);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var query = _writer.CreateCommand();
            query.Transaction = transaction;
            query.CommandText = "SELECT id, cursor FROM webhooks WHERE id = last_insert_rowid();";
            long id, cursor;
            using (var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                id = reader.GetInt64(0);
                cursor = reader.GetInt64(1);
            }

            transaction.Commit();
            return new StoredWebhook(id, url, secret, [.. types], cursor, DateTimeOffset.FromUnixTimeMilliseconds(now));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredWebhook>> WebhooksAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync(
            "SELECT id, url, secret, types, cursor, created_at FROM webhooks ORDER BY id;",
            r => new StoredWebhook(
                r.GetInt64(0),
                r.GetString(1),
                r.GetString(2),
                r.GetString(3).Split(',', StringSplitOptions.RemoveEmptyEntries),
                r.GetInt64(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<bool> DeleteWebhookAsync(long id, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _writer.BeginTransaction();
            using var letters = _writer.CreateCommand();
            letters.Transaction = transaction;
            letters.CommandText = "DELETE FROM webhook_dead_letters WHERE webhook_id = $id;";
            letters.Parameters.AddWithValue("$id", id);
            await letters.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var hook = _writer.CreateCommand();
            hook.Transaction = transaction;
            hook.CommandText = "DELETE FROM webhooks WHERE id = $id;";
            hook.Parameters.AddWithValue("$id", id);
            var removed = await hook.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            transaction.Commit();
            return removed > 0;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<bool> AdvanceWebhookAsync(long webhookId, long alertId, (int Attempts, string LastError)? deadLetter, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _writer.BeginTransaction();
            using var advance = _writer.CreateCommand();
            advance.Transaction = transaction;
            advance.CommandText = "UPDATE webhooks SET cursor = MAX(cursor, $alert) WHERE id = $id;";
            advance.Parameters.AddWithValue("$id", webhookId);
            advance.Parameters.AddWithValue("$alert", alertId);
            var exists = await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
            if (exists && deadLetter is { } letter)
            {
                using var insert = _writer.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO webhook_dead_letters (webhook_id, alert_id, attempts, last_error, failed_at) VALUES ($id, $alert, $attempts, $error, $at);";
                insert.Parameters.AddWithValue("$id", webhookId);
                insert.Parameters.AddWithValue("$alert", alertId);
                insert.Parameters.AddWithValue("$attempts", letter.Attempts);
                insert.Parameters.AddWithValue("$error", letter.LastError);
                insert.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            transaction.Commit();
            return exists;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDeadLetter>> DeadLettersAsync(long webhookId, CancellationToken cancellationToken = default) =>
        await QueryAsync(
            "SELECT id, webhook_id, alert_id, attempts, last_error, failed_at FROM webhook_dead_letters WHERE webhook_id = $id ORDER BY id;",
            r => new StoredDeadLetter(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))),
            cancellationToken,
            ("$id", webhookId)).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a query on a fresh reader connection and maps every row.</summary>
    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }
}
