using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansHub.Contracts.Api;

/// <summary>Outcome of a single-song insert.</summary>
/// <param name="Song">The song as stored, with its lists.</param>
/// <param name="Created">True when the song was new (201); false when the same song was already present (200).</param>
public sealed record InsertResult(SongResponse Song, bool Created);

/// <summary>An alert received from the server-sent-events stream.</summary>
/// <param name="Id">Alert id (the SSE event id; resume after it).</param>
/// <param name="Type">Alert type (the SSE event name), for example <c>hub-emerged</c>.</param>
/// <param name="Alert">The alert's JSON.</param>
public sealed record AlertEvent(long Id, string Type, JsonNode? Alert);

/// <summary>Reconnection settings of <see cref="OrleansHubClient.WatchAlertsAsync(long, CancellationToken)"/>.</summary>
/// <param name="InitialDelay">Wait before the first reconnection; doubled after each failed attempt.</param>
/// <param name="MaxDelay">Largest wait between attempts.</param>
public sealed record ReconnectPolicy(TimeSpan InitialDelay, TimeSpan MaxDelay)
{
    /// <summary>0.5 s doubling up to 15 s.</summary>
    public static ReconnectPolicy Default { get; } = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(15));
}

/// <summary>
/// Typed client of the OrleansHub HTTP API. Every error answer surfaces as an
/// <see cref="OrleansHubApiException"/> carrying the answer's problem details. Thread-safe.
/// </summary>
public sealed class OrleansHubClient : IDisposable
{
    /// <summary>Header carrying the API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly string[] ProblemMembers = ["status", "type", "title", "detail"];
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _apiKey;

    /// <summary>Creates a client over an existing <see cref="HttpClient"/> (its <c>BaseAddress</c> is the server); the caller keeps ownership.</summary>
    /// <param name="http">HTTP client whose base address is the silo.</param>
    /// <param name="apiKey">API key for writes (and for reads when the server closes them), or null.</param>
    public OrleansHubClient(HttpClient http, string? apiKey = null)
        : this(http, apiKey, ownsHttp: false)
    {
    }

    private OrleansHubClient(HttpClient http, string? apiKey, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress (the silo's URL).", nameof(http));
        }

        _http = http;
        _apiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
        _ownsHttp = ownsHttp;
    }

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Backs off between reconnections of <see cref="WatchAlertsAsync(long, CancellationToken)"/>.</summary>
    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>Creates a client that owns its <see cref="HttpClient"/> (no overall timeout, so that the alert stream can stay open).</summary>
    /// <param name="server">Silo URL, for example <c>http://127.0.0.1:5090</c>.</param>
    /// <param name="apiKey">API key, or null.</param>
    public static OrleansHubClient Create(Uri server, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 256 };
        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        return new OrleansHubClient(http, apiKey, ownsHttp: true);
    }

    /// <summary>POST /api/songs: inserts one song; idempotent by id and content (an identical song answers with <see cref="InsertResult.Created"/> false).</summary>
    /// <exception cref="OrleansHubApiException">409 id-conflict when another song has the id; 400, 401, 413, 503 otherwise.</exception>
    public async Task<InsertResult> InsertAsync(SongFeatures song, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(song);
        using var request = Request(HttpMethod.Post, "api/songs");
        request.Content = new StringContent(FeaturesJsonLines.ToLine(song), Encoding.UTF8, "application/json");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await ReadAsync<SongResponse>(response, cancellationToken).ConfigureAwait(false);
        return new InsertResult(body, response.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>
    /// POST /api/songs/batch (<c>application/x-ndjson</c>): inserts the new songs of the batch as one
    /// event batch; songs already present with the same content are skipped.
    /// </summary>
    /// <exception cref="OrleansHubApiException">409 id-conflict (nothing inserted, <c>ids</c> extension), 400 invalid-features, 401, 413, 503.</exception>
    public async Task<BatchResponse> InsertBatchAsync(IEnumerable<SongFeatures> songs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(songs);
        var body = new StringBuilder();
        foreach (var song in songs)
        {
            body.Append(FeaturesJsonLines.ToLine(song)).Append('\n');
        }

        using var request = Request(HttpMethod.Post, "api/songs/batch");
        request.Content = new StringContent(body.ToString(), Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson") { CharSet = "utf-8" };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<BatchResponse>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET /api/songs/{id}.</summary>
    /// <exception cref="OrleansHubApiException">404 song-not-found.</exception>
    public Task<SongResponse> GetSongAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync<SongResponse>("api/songs/" + Uri.EscapeDataString(id), cancellationToken);

    /// <summary>DELETE /api/songs/{id}.</summary>
    /// <exception cref="OrleansHubApiException">404 song-not-found, 401, 503.</exception>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var request = Request(HttpMethod.Delete, "api/songs/" + Uri.EscapeDataString(id));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET /api/songs/{id}/neighbours?metric=&amp;k=: nearest first.</summary>
    /// <param name="id">Song id.</param>
    /// <param name="metric"><c>mp</c> or <c>skl</c>; null for the server's default (mp).</param>
    /// <param name="k">Neighbours wanted; null for the configured k.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="OrleansHubApiException">404 song-not-found, 400 invalid-parameter.</exception>
    public Task<NeighboursResponse> GetNeighboursAsync(string id, string? metric = null, int? k = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return GetAsync<NeighboursResponse>(Query("api/songs/" + Uri.EscapeDataString(id) + "/neighbours", ("metric", metric), ("k", k?.ToString(CultureInfo.InvariantCulture))), cancellationToken);
    }

    /// <summary>GET /api/hubness?metric=.</summary>
    /// <exception cref="OrleansHubApiException">400 invalid-parameter for an unknown metric.</exception>
    public Task<HubnessResponse> GetHubnessAsync(string? metric = null, CancellationToken cancellationToken = default) =>
        GetAsync<HubnessResponse>(Query("api/hubness", ("metric", metric)), cancellationToken);

    /// <summary>GET /api/hubs?metric=&amp;top=: largest O^k first.</summary>
    public Task<IReadOnlyList<HubDto>> GetHubsAsync(string? metric = null, int top = 20, CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<HubDto>>(Query("api/hubs", ("metric", metric), ("top", top.ToString(CultureInfo.InvariantCulture))), cancellationToken);

    /// <summary>GET /api/antihubs?metric=&amp;page=&amp;pageSize=.</summary>
    public Task<AntihubsResponse> GetAntihubsAsync(string? metric = null, int page = 1, int pageSize = 100, CancellationToken cancellationToken = default) =>
        GetAsync<AntihubsResponse>(Query("api/antihubs", ("metric", metric), ("page", page.ToString(CultureInfo.InvariantCulture)), ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture))), cancellationToken);

    /// <summary>GET /api/alerts?after=&amp;limit=: stored alerts with a larger id, oldest first.</summary>
    public Task<IReadOnlyList<AlertDto>> GetAlertsAsync(long after = 0, int limit = 100, CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<AlertDto>>(Query("api/alerts", ("after", after.ToString(CultureInfo.InvariantCulture)), ("limit", limit.ToString(CultureInfo.InvariantCulture))), cancellationToken);

    /// <summary>
    /// Follows GET /api/alerts/stream (server-sent events) from the alert after <paramref name="after"/>.
    /// When the connection drops or the server is unavailable (connection refused, 5xx), it reconnects
    /// after a back-off (<see cref="Reconnect"/>, reset once a connection succeeds) and resumes with the
    /// <c>Last-Event-ID</c> of the last alert yielded, so no alert is lost or repeated. Ends only
    /// through <paramref name="cancellationToken"/>, or with an <see cref="OrleansHubApiException"/>
    /// for a 4xx answer (which retrying would not fix).
    /// </summary>
    /// <param name="after">Alert id to resume after (0: from the first).</param>
    /// <param name="cancellationToken">Stops watching.</param>
    public IAsyncEnumerable<AlertEvent> WatchAlertsAsync(long after = 0, CancellationToken cancellationToken = default) =>
        WatchAlertsAsync(after, null, cancellationToken);

    /// <summary>As <see cref="WatchAlertsAsync(long, CancellationToken)"/>, reporting each reconnection.</summary>
    /// <param name="after">Alert id to resume after (0: from the first).</param>
    /// <param name="onReconnect">Called before each wait with the failure and the delay (for logging); may be null.</param>
    /// <param name="cancellationToken">Stops watching.</param>
    public async IAsyncEnumerable<AlertEvent> WatchAlertsAsync(long after, Action<Exception, TimeSpan>? onReconnect, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = after;
        var delay = Reconnect.InitialDelay;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HttpResponseMessage? response = null;
            Exception? failure = null;
            try
            {
                using var request = Request(HttpMethod.Get, "api/alerts/stream");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                if (last > 0)
                {
                    request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
                }

                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode is >= 400 and < 500)
                {
                    var problem = await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
                    response.Dispose();
                    throw new OrleansHubApiException(problem);
                }

                if (!response.IsSuccessStatusCode)
                {
                    failure = new OrleansHubApiException(await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false));
                }
            }
            catch (HttpRequestException ex)
            {
                failure = ex;
            }

            if (failure is null && response is not null)
            {
                delay = Reconnect.InitialDelay;
                using (response)
                {
                    var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        var events = ReadEventsAsync(stream, cancellationToken).ConfigureAwait(false);
                        var enumerator = events.GetAsyncEnumerator();
                        try
                        {
                            while (true)
                            {
                                AlertEvent? next;
                                try
                                {
                                    if (!await enumerator.MoveNextAsync())
                                    {
                                        failure = new HttpRequestException("The server closed the alert stream.");
                                        break;
                                    }

                                    next = enumerator.Current;
                                }
                                catch (Exception ex) when (ex is HttpRequestException or IOException)
                                {
                                    failure = ex;
                                    break;
                                }

                                last = next.Id;
                                yield return next;
                            }
                        }
                        finally
                        {
                            await enumerator.DisposeAsync();
                        }
                    }
                }
            }
            else
            {
                response?.Dispose();
            }

            onReconnect?.Invoke(failure!, delay);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Reconnect.MaxDelay.Ticks));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>Parses a server-sent-events stream into alerts (events without a numeric id are skipped).</summary>
    internal static async IAsyncEnumerable<AlertEvent> ReadEventsAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? id = null;
        string? type = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0 && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var alertId))
                {
                    JsonNode? alert;
                    try
                    {
                        alert = JsonNode.Parse(data.ToString());
                    }
                    catch (JsonException)
                    {
                        alert = JsonValue.Create(data.ToString());
                    }

                    yield return new AlertEvent(alertId, type ?? "message", alert);
                }

                id = null;
                type = null;
                data.Clear();
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    if (data.Length > 0)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    break;
                default:
                    break;
            }
        }
    }

    private static string Query(string path, params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)).ToList();
        return present.Count == 0 ? path : path + "?" + string.Join('&', present);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new OrleansHubApiException($"The server answered {(int)response.StatusCode} with an empty body.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new OrleansHubApiException(await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false));
        }
    }

    private static async Task<ApiProblem> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        JsonObject? body = null;
        try
        {
            body = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            // Not a problem document (for example a proxy's HTML page): keep the text as the detail.
        }

        if (body is null)
        {
            return new ApiProblem(status, null, response.ReasonPhrase, string.IsNullOrWhiteSpace(text) ? null : text, new Dictionary<string, JsonNode?>());
        }

        var extensions = body.Where(p => !ProblemMembers.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        return new ApiProblem(status, String(body, "type"), String(body, "title") ?? response.ReasonPhrase, String(body, "detail"), extensions);

        static string? String(JsonObject body, string name) =>
            body[name] is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (_apiKey is not null)
        {
            request.Headers.Add(ApiKeyHeader, _apiKey);
        }

        return request;
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        _http.SendAsync(request, completion, cancellationToken);
}
