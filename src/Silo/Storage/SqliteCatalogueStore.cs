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

        return await WriteAsync(
            async transaction =>
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var sequences = new long[events.Count];
                using var command = Command(transaction, "INSERT INTO events (seq, type, payload, recorded_at) VALUES ($seq, $type, $payload, $at);", ("$at", now));
                var seq = command.Parameters.Add("$seq", SqliteType.Integer);
                var type = command.Parameters.Add("$type", SqliteType.Text);
                var payload = command.Parameters.Add("$payload", SqliteType.Blob);
                using var put = Command(transaction, "INSERT OR REPLACE INTO songs (id, hash, seq) VALUES ($id, $hash, $seq);");
                var putId = put.Parameters.Add("$id", SqliteType.Text);
                var putHash = put.Parameters.Add("$hash", SqliteType.Text);
                var putSeq = put.Parameters.Add("$seq", SqliteType.Integer);
                using var remove = Command(transaction, "DELETE FROM songs WHERE id = $id;");
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

                return sequences;
            },
            cancellationToken,
            committed: _ => Interlocked.Add(ref _lastSequence, events.Count)).ConfigureAwait(false);
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

        return await WriteAsync<IReadOnlyList<StoredAlert>>(
            async transaction =>
            {
                var now = DateTimeOffset.UtcNow;
                using var max = Command(transaction, "SELECT COALESCE(MAX(id), 0) FROM alerts;");
                var last = Convert.ToInt64(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                var stored = new List<StoredAlert>(alerts.Count);
                using var command = Command(transaction, "INSERT INTO alerts (id, seq, type, json, recorded_at) VALUES ($id, $seq, $type, $json, $at);", ("$at", now.ToUnixTimeMilliseconds()));
                var id = command.Parameters.Add("$id", SqliteType.Integer);
                var seq = command.Parameters.Add("$seq", SqliteType.Integer);
                var type = command.Parameters.Add("$type", SqliteType.Text);
                var json = command.Parameters.Add("$json", SqliteType.Text);
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

                return stored;
            },
            cancellationToken).ConfigureAwait(false);
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
        await WriteAsync(
            async transaction =>
            {
                using var command = Command(transaction, "INSERT OR IGNORE INTO api_keys (hash, created_at) VALUES ($hash, $at);", ("$hash", hash), ("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
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

        await WriteAsync(
            async transaction =>
            {
                using var insert = Command(transaction, "INSERT OR REPLACE INTO snapshots (seq, state, recorded_at) VALUES ($seq, $state, $at);", ("$seq", snapshot.Sequence), ("$state", snapshot.State), ("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                using var prune = Command(transaction, "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT $keep);", ("$keep", keep));
                return await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
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
        return await WriteAsync(
            async transaction =>
            {
                using var command = Command(
                    transaction,
                    "INSERT INTO webhooks (url, secret, types, cursor, created_at) VALUES ($url, $secret, $types, (SELECT COALESCE(MAX(id), 0) FROM alerts), $at);",
                    ("$url", url),
                    ("$secret", secret),
                    ("$types", string.Join(',', types)),
                    ("$at", now));
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                using var query = Command(transaction, "SELECT id, cursor FROM webhooks WHERE id = last_insert_rowid();");
                using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new StoredWebhook(reader.GetInt64(0), url, secret, [.. types], reader.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(now));
            },
            cancellationToken).ConfigureAwait(false);
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
        return await WriteAsync(
            async transaction =>
            {
                using var letters = Command(transaction, "DELETE FROM webhook_dead_letters WHERE webhook_id = $id;", ("$id", id));
                await letters.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                using var hook = Command(transaction, "DELETE FROM webhooks WHERE id = $id;", ("$id", id));
                return await hook.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> AdvanceWebhookAsync(long webhookId, long alertId, (int Attempts, string LastError)? deadLetter, CancellationToken cancellationToken = default)
    {
        return await WriteAsync(
            async transaction =>
            {
                using var advance = Command(transaction, "UPDATE webhooks SET cursor = MAX(cursor, $alert) WHERE id = $id;", ("$id", webhookId), ("$alert", alertId));
                var exists = await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
                if (exists && deadLetter is { } letter)
                {
                    using var insert = Command(
                        transaction,
                        "INSERT INTO webhook_dead_letters (webhook_id, alert_id, attempts, last_error, failed_at) VALUES ($id, $alert, $attempts, $error, $at);",
                        ("$id", webhookId),
                        ("$alert", alertId),
                        ("$attempts", letter.Attempts),
                        ("$error", letter.LastError),
                        ("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                return exists;
            },
            cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Runs one write under the writer lock in one transaction. Commit is synchronous on purpose:
    /// once it returns, the WAL frame is fsynced (synchronous=FULL). <paramref name="committed"/>
    /// runs after the commit, still under the lock (in-memory state that must follow the log).
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<SqliteTransaction, Task<T>> work, CancellationToken cancellationToken, Action<T>? committed = null)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _writer.BeginTransaction();
            var result = await work(transaction).ConfigureAwait(false);
            transaction.Commit();
            committed?.Invoke(result);
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>A command of the writer connection inside <paramref name="transaction"/>, with parameters.</summary>
    private SqliteCommand Command(SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
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
