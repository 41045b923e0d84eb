using System.Text.Json.Nodes;

namespace OrleansHub.Silo.Api;

/// <summary>A neighbour in an API answer.</summary>
/// <param name="Id">Song id.</param>
/// <param name="Distance">Distance under the metric asked for (D_SKL or D_MP).</param>
/// <param name="SklDistance">D_SKL.</param>
/// <param name="MpDistance">D_MP of the served MP (1 − MP); null in SKL lists, where the engine does not rank by MP.</param>
public sealed record NeighbourDto(string Id, double Distance, double SklDistance, double? MpDistance);

/// <summary>Answer of <c>GET /api/songs/{id}/neighbours</c>.</summary>
public sealed record NeighboursResponse(string Id, string Metric, IReadOnlyList<NeighbourDto> Neighbours);

/// <summary>A song with its lists and occurrences.</summary>
public sealed record SongResponse(
    string Id,
    long Sequence,
    int OccurrenceSkl,
    int OccurrenceMp,
    IReadOnlyList<NeighbourDto> SklNeighbours,
    IReadOnlyList<NeighbourDto> MpNeighbours,
    IReadOnlyList<JsonNode?> Alerts);

/// <summary>Answer of a batch insert.</summary>
public sealed record BatchResponse(int Inserted, long LastSequence, IReadOnlyList<string> Ids, IReadOnlyList<JsonNode?> Alerts);

/// <summary>Catalogue measures under one metric.</summary>
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
public sealed record HubDto(string Id, int Occurrence);

/// <summary>A page of anti-hubs.</summary>
public sealed record AntihubsResponse(string Metric, int Page, int PageSize, IReadOnlyList<string> Ids);

/// <summary>A stored alert.</summary>
public sealed record AlertDto(long Id, long Sequence, string Type, DateTimeOffset RecordedAt, JsonNode? Alert);
