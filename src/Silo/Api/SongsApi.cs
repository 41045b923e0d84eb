using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OrleansHub.Contracts;
using OrleansHub.Grains.Engine;
using OrleansHub.Silo.Hosting;
using OrleansHub.Silo.Options;

namespace OrleansHub.Silo.Api;

/// <summary>Songs: insert (one or a batch), read, delete, neighbours.</summary>
public static class SongsApi
{
    /// <summary>Maps <c>/api/songs</c>.</summary>
    public static RouteGroupBuilder MapSongsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup("/api/songs").WithTags("Songs");
        group.MapPost("/", InsertSong).AddEndpointFilter<ApiKeyFilter>().WithName("InsertSong");
        group.MapPost("/batch", InsertBatch).AddEndpointFilter<ApiKeyFilter>().WithName("InsertBatch");
        group.MapGet("/{id}", GetSong).WithName("GetSong");
        group.MapDelete("/{id}", DeleteSong).AddEndpointFilter<ApiKeyFilter>().WithName("DeleteSong");
        group.MapGet("/{id}/neighbours", GetNeighbours).WithName("GetNeighbours");
        return group;
    }

    /// <summary>POST /api/songs: one song as a features JSON object, or a multipart audio upload (see <see cref="AudioUploads"/>).</summary>
    public static async Task<Results<Created<SongResponse>, Ok<SongResponse>, ProblemHttpResult>> InsertSong(
        HttpRequest request,
        CatalogueService catalogue,
        IOptions<OrleansHubOptions> options,
        CancellationToken cancellationToken)
    {
        SongFeatures? song;
        if (request.HasFormContentType && request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            if (request.ContentLength > options.Value.MaxBodyBytes)
            {
                return TooLarge(options.Value.MaxBodyBytes);
            }

            string? audioError;
            try
            {
                (song, audioError) = await AudioUploads.ReadAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                (song, audioError) = (null, $"malformed multipart body ({ex.Message})");
            }

            if (song is null)
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidAudio, "Audio cannot be analysed", audioError!);
            }
        }
        else if (IsJson(request.ContentType))
        {
            var (body, tooLarge) = await ReadBodyAsync(request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
            if (tooLarge)
            {
                return TooLarge(options.Value.MaxBodyBytes);
            }

            song = FeaturesJsonLines.ParseLine(body, out var error);
            if (song is null)
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidFeatures, "Invalid song features", error!);
            }
        }
        else
        {
            return Problems.Problem(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "Unsupported content type", $"Send the song as application/json (features object) or multipart/form-data (audio in the 'file' field); got '{request.ContentType}'.");
        }

        var outcome = await catalogue.InsertAsync(song, cancellationToken).ConfigureAwait(false);
        return outcome.Status switch
        {
            WriteStatus.Created => TypedResults.Created($"/api/songs/{Uri.EscapeDataString(song.Id)}", Describe(catalogue, song.Id, outcome.Sequence, outcome.Alerts)),
            WriteStatus.Existing => TypedResults.Ok(Describe(catalogue, song.Id, outcome.Sequence, [])),
            WriteStatus.Conflict => Problems.Problem(StatusCodes.Status409Conflict, Problems.IdConflict, "Id already used", $"A different song already has the id \"{song.Id}\"."),
            _ => Unavailable(),
        };
    }

    /// <summary>POST /api/songs/batch: songs as JSON Lines (application/x-ndjson), one event batch.</summary>
    public static async Task<Results<Ok<BatchResponse>, ProblemHttpResult>> InsertBatch(
        HttpRequest request,
        CatalogueService catalogue,
        IOptions<OrleansHubOptions> options,
        CancellationToken cancellationToken)
    {
        if (request.ContentType is not { } type || !(type.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.Problem(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "Unsupported content type", $"Send songs as application/x-ndjson, one features object per line; got '{request.ContentType}'.");
        }

        var (body, tooLarge) = await ReadBodyAsync(request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge)
        {
            return TooLarge(options.Value.MaxBodyBytes);
        }

        var read = FeaturesJsonLines.Read(new StringReader(body));
        if (read.Errors.Count > 0)
        {
            return Problems.Problem(
                StatusCodes.Status400BadRequest,
                Problems.InvalidFeatures,
                "Invalid songs in batch",
                $"{read.Errors.Count} malformed lines; nothing was inserted.",
                new Dictionary<string, object?> { ["errors"] = read.Errors.Select(e => new { line = e.LineNumber, reason = e.Reason }).ToArray() });
        }

        if (read.Songs.Count == 0)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidFeatures, "Empty batch", "The body holds no song.");
        }

        var outcome = await catalogue.InsertBatchAsync(read.Songs, cancellationToken).ConfigureAwait(false);
        return outcome.Status switch
        {
            WriteStatus.Created => TypedResults.Ok(new BatchResponse(outcome.Ids.Count, outcome.Sequence, outcome.Ids, outcome.Alerts.Select(ToNode).ToList())),
            WriteStatus.Existing => TypedResults.Ok(new BatchResponse(0, outcome.Sequence, [], [])),
            WriteStatus.Conflict => Problems.Problem(
                StatusCodes.Status409Conflict,
                Problems.IdConflict,
                "Ids already used",
                $"{outcome.Ids.Count} ids are used by other songs (or repeated in the batch); nothing was inserted.",
                new Dictionary<string, object?> { ["ids"] = outcome.Ids }),
            _ => Unavailable(),
        };
    }

    /// <summary>GET /api/songs/{id}.</summary>
    public static Results<Ok<SongResponse>, ProblemHttpResult> GetSong(string id, CatalogueService catalogue)
    {
        var info = catalogue.Read(e => e.Lookup(id));
        return info is null ? NotFound(id) : TypedResults.Ok(Describe(catalogue, id, info.InsertedAt, []));
    }

    /// <summary>DELETE /api/songs/{id}.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSong(string id, CatalogueService catalogue, CancellationToken cancellationToken)
    {
        var outcome = await catalogue.DeleteAsync(id, cancellationToken).ConfigureAwait(false);
        return outcome.Status switch
        {
            WriteStatus.Created => TypedResults.NoContent(),
            WriteStatus.NotFound => NotFound(id),
            _ => Unavailable(),
        };
    }

    /// <summary>GET /api/songs/{id}/neighbours?metric=mp|skl&amp;k=: nearest first.</summary>
    public static Results<Ok<NeighboursResponse>, ProblemHttpResult> GetNeighbours(string id, CatalogueService catalogue, string? metric = null, int? k = null)
    {
        if (!TryMetric(metric, out var m))
        {
            return BadMetric(metric);
        }

        var count = k ?? catalogue.K;
        if (count < 1 || count > catalogue.K)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "k out of range", $"k must be between 1 and {catalogue.K} (the configured maximum), got {count}.");
        }

        var list = catalogue.Read(e => e.Lookup(id) is null ? null : e.Neighbours(id, m));
        return list is null
            ? NotFound(id)
            : TypedResults.Ok(new NeighboursResponse(id, MetricName(m), list.Take(count).Select(n => ToDto(n, m)).ToList()));
    }

    /// <summary>Parses <c>mp</c> (default) or <c>skl</c>.</summary>
    public static bool TryMetric(string? text, out Metric metric)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "mp":
                metric = Metric.Mp;
                return true;
            case "skl":
                metric = Metric.Skl;
                return true;
            default:
                metric = Metric.Mp;
                return false;
        }
    }

    /// <summary>The API name of a metric.</summary>
    public static string MetricName(Metric metric) => metric == Metric.Skl ? "skl" : "mp";

    /// <summary>400 for an unknown metric.</summary>
    public static ProblemHttpResult BadMetric(string? metric) =>
        Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "Unknown metric", $"metric must be 'mp' or 'skl', got '{metric}'.");

    /// <summary>503 while the catalogue recovers or after a writer failure.</summary>
    public static ProblemHttpResult Unavailable() =>
        Problems.Problem(StatusCodes.Status503ServiceUnavailable, Problems.Unavailable, "Catalogue unavailable", "The catalogue is recovering or refuses writes after a failure; retry later.");

    internal static JsonNode? ToNode(Alert alert) => JsonNode.Parse(AlertJson.Serialize(alert));

    private static SongResponse Describe(CatalogueService catalogue, string id, long sequence, IReadOnlyList<Alert> alerts) =>
        catalogue.Read(e =>
        {
            var info = e.Lookup(id);
            return new SongResponse(
                id,
                sequence,
                info?.OccurrenceSkl ?? 0,
                info?.OccurrenceMp ?? 0,
                info is null ? [] : e.Neighbours(id, Metric.Skl).Select(n => ToDto(n, Metric.Skl)).ToList(),
                info is null ? [] : e.Neighbours(id, Metric.Mp).Select(n => ToDto(n, Metric.Mp)).ToList(),
                alerts.Select(ToNode).ToList());
        });

    private static NeighbourDto ToDto(Neighbour n, Metric metric) =>
        new(n.Id, metric == Metric.Skl ? n.Distance : n.MpDistance, n.Distance, float.IsFinite(n.MpDistance) ? n.MpDistance : null);

    private static ProblemHttpResult NotFound(string id) =>
        Problems.Problem(StatusCodes.Status404NotFound, Problems.SongNotFound, "Song not found", $"No song has the id \"{id}\".");

    private static ProblemHttpResult TooLarge(long limit) =>
        Problems.Problem(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge, "Body too large", $"The body exceeds the limit of {limit} bytes (OrleansHub:MaxBodyBytes).");

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase));

    private static async Task<(string Body, bool TooLarge)> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return (string.Empty, true);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return (string.Empty, true);
            }

            buffer.Write(chunk, 0, read);
        }

        return (Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), false);
    }
}
