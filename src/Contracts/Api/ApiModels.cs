using System.Text.Json.Nodes;

namespace OrleansHub.Contracts.Api;

/// <summary>A neighbour in an API answer.</summary>
/// <param name="Id">Song id.</param>
/// <param name="Distance">Distance under the metric asked for (D_SKL or D_MP).</param>
/// <param name="SklDistance">D_SKL.</param>
/// <param name="MpDistance">D_MP of the served MP (1 − MP); null in SKL lists, where the engine does not rank by MP.</param>
public sealed record NeighbourDto(string Id, double Distance, double SklDistance, double? MpDistance);

/// <summary>Answer of <c>GET /api/songs/{id}/neighbours</c>.</summary>
/// <param name="Id">The song asked about.</param>
/// <param name="Metric"><c>mp</c> or <c>skl</c>.</param>
/// <param name="Neighbours">Nearest first.</param>
public sealed record NeighboursResponse(string Id, string Metric, IReadOnlyList<NeighbourDto> Neighbours);

/// <summary>A song with its lists and occurrences (answer of <c>GET /api/songs/{id}</c> and of an insert).</summary>
/// <param name="Id">Song id.</param>
/// <param name="Sequence">Sequence number of the event that inserted the song.</param>
/// <param name="OccurrenceSkl">O^k under D_SKL.</param>
/// <param name="OccurrenceMp">O^k under D_MP.</param>
/// <param name="SklNeighbours">Nearest first under D_SKL.</param>
/// <param name="MpNeighbours">Nearest first under D_MP.</param>
/// <param name="Alerts">Alerts raised by the insert (empty on reads).</param>
public sealed record SongResponse(
    string Id,
    long Sequence,
    int OccurrenceSkl,
    int OccurrenceMp,
    IReadOnlyList<NeighbourDto> SklNeighbours,
    IReadOnlyList<NeighbourDto> MpNeighbours,
    IReadOnlyList<JsonNode?> Alerts);

/// <summary>Answer of a batch insert.</summary>
/// <param name="Inserted">Songs of the batch that were new (the others were already present with the same content).</param>
/// <param name="LastSequence">Sequence number of the last event written, or of the newest existing song when nothing was new.</param>
/// <param name="Ids">Ids inserted.</param>
/// <param name="Alerts">Alerts raised by the batch.</param>
public sealed record BatchResponse(int Inserted, long LastSequence, IReadOnlyList<string> Ids, IReadOnlyList<JsonNode?> Alerts);

/// <summary>Catalogue measures under one metric (answer of <c>GET /api/hubness</c>).</summary>
/// <param name="Metric"><c>mp</c> or <c>skl</c>.</param>
/// <param name="N">Songs in the catalogue.</param>
/// <param name="K">Neighbours per list.</param>
/// <param name="HubSize">Hub factor h (hub: O^k ≥ h·k).</param>
/// <param name="Hubs">Number of hubs.</param>
/// <param name="Antihubs">Number of songs with O^k = 0.</param>
/// <param name="HubShare">Hubs / n.</param>
/// <param name="AntihubShare">Anti-hubs / n.</param>
/// <param name="MaxOccurrence">Largest O^k.</param>
/// <param name="Skewness">Skewness S^k of the O^k distribution.</param>
/// <param name="RobinHood">Robin Hood index of O^k.</param>
/// <param name="Gini">Gini coefficient of O^k.</param>
/// <param name="Histogram">Songs per O^k value (index = O^k).</param>
public sealed record HubnessResponse(
    string Metric,
    int N,
    int K,
    int HubSize,
    long Hubs,
    long Antihubs,
    double HubShare,
    double AntihubShare,
    int MaxOccurrence,
    double Skewness,
    double RobinHood,
    double Gini,
    IReadOnlyList<long> Histogram);

/// <summary>A hub and its k-occurrence.</summary>
/// <param name="Id">Song id.</param>
/// <param name="Occurrence">O^k.</param>
public sealed record HubDto(string Id, int Occurrence);

/// <summary>A page of anti-hubs.</summary>
/// <param name="Metric"><c>mp</c> or <c>skl</c>.</param>
/// <param name="Page">1-based page.</param>
/// <param name="PageSize">Ids per page.</param>
/// <param name="Ids">Anti-hub ids in insertion order.</param>
public sealed record AntihubsResponse(string Metric, int Page, int PageSize, IReadOnlyList<string> Ids);

/// <summary>A stored alert.</summary>
/// <param name="Id">Alert id (increasing; the SSE event id).</param>
/// <param name="Sequence">Sequence number of the event that raised it.</param>
/// <param name="Type">Alert type (the SSE event name).</param>
/// <param name="RecordedAt">When it was stored.</param>
/// <param name="Alert">The alert's JSON.</param>
public sealed record AlertDto(long Id, long Sequence, string Type, DateTimeOffset RecordedAt, JsonNode? Alert);

/// <summary>An RFC 9457 problem details answer, as every error of the API is.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Type">Problem type URI (for example <c>https://orleanshub.dev/problems/song-not-found</c>).</param>
/// <param name="Title">Short summary.</param>
/// <param name="Detail">Explanation of this occurrence.</param>
/// <param name="Extensions">Other members of the problem object (for example <c>ids</c> of a batch conflict).</param>
public sealed record ApiProblem(int Status, string? Type, string? Title, string? Detail, IReadOnlyDictionary<string, JsonNode?> Extensions);
