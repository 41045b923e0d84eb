using Microsoft.AspNetCore.Http.HttpResults;
using OrleansHub.Silo.Hosting;

namespace OrleansHub.Silo.Api;

/// <summary>Catalogue-level hubness: measures, top hubs, anti-hubs.</summary>
public static class HubnessApi
{
    /// <summary>Maps <c>/api/hubness</c>, <c>/api/hubs</c>, <c>/api/antihubs</c>.</summary>
    public static RouteGroupBuilder MapHubnessApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup("/api").WithTags("Hubness");
        group.MapGet("/hubness", GetHubness).WithName("GetHubness");
        group.MapGet("/hubs", GetHubs).WithName("GetHubs");
        group.MapGet("/antihubs", GetAntihubs).WithName("GetAntihubs");
        return group;
    }

    /// <summary>GET /api/hubness?metric=: n, k, hubs, anti-hubs, shares, max O^k, S^k, Robin Hood, Gini and the O^k histogram.</summary>
    public static Results<Ok<HubnessResponse>, ProblemHttpResult> GetHubness(CatalogueService catalogue, string? metric = null)
    {
        if (!SongsApi.TryMetric(metric, out var m))
        {
            return SongsApi.BadMetric(metric);
        }

        var x = catalogue.Read(e => e.Measures(m));
        return TypedResults.Ok(new HubnessResponse(SongsApi.MetricName(m), x.Count, x.K, x.HubSize, x.Hubs, x.Antihubs, x.HubShare, x.AntihubShare, x.MaxOccurrence, x.Skewness, x.RobinHood, x.Gini, x.Histogram));
    }

    /// <summary>GET /api/hubs?metric=&amp;top=: the songs of largest O^k, largest first.</summary>
    public static Results<Ok<IReadOnlyList<HubDto>>, ProblemHttpResult> GetHubs(CatalogueService catalogue, string? metric = null, int top = 20)
    {
        if (!SongsApi.TryMetric(metric, out var m))
        {
            return SongsApi.BadMetric(metric);
        }

        if (top is < 1 or > 1000)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "top out of range", $"top must be between 1 and 1000, got {top}.");
        }

        IReadOnlyList<HubDto> hubs = catalogue.Read(e => e.TopHubs(m, top)).Select(h => new HubDto(h.Id, h.Occurrence)).ToList();
        return TypedResults.Ok(hubs);
    }

    /// <summary>GET /api/antihubs?metric=&amp;page=&amp;pageSize=: songs with O^k = 0, in insertion order.</summary>
    public static Results<Ok<AntihubsResponse>, ProblemHttpResult> GetAntihubs(CatalogueService catalogue, string? metric = null, int page = 1, int pageSize = 100)
    {
        if (!SongsApi.TryMetric(metric, out var m))
        {
            return SongsApi.BadMetric(metric);
        }

        if (page < 1 || pageSize is < 1 or > 1000)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "Paging out of range", $"page must be ≥ 1 and pageSize between 1 and 1000, got page {page}, pageSize {pageSize}.");
        }

        var ids = catalogue.Read(e => e.Antihubs(m, (page - 1) * pageSize, pageSize));
        return TypedResults.Ok(new AntihubsResponse(SongsApi.MetricName(m), page, pageSize, ids));
    }
}
