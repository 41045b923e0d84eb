using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansHub.Silo.Hosting;

namespace OrleansHub.Silo.Api;

/// <summary>Alerts: a page after an id, and a resumable server-sent-events stream.</summary>
public static class AlertsApi
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    /// <summary>Maps <c>/api/alerts</c> and <c>/api/alerts/stream</c>.</summary>
    public static RouteGroupBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup("/api/alerts").WithTags("Alerts");
        group.MapGet("/", GetAlerts).WithName("GetAlerts");
        group.MapGet("/stream", StreamAlerts).WithName("StreamAlerts");
        return group;
    }

    /// <summary>GET /api/alerts?after=ID&amp;limit=: alerts with a larger id, oldest first.</summary>
    public static async Task<Results<Ok<IReadOnlyList<AlertDto>>, ProblemHttpResult>> GetAlerts(CatalogueService catalogue, long after = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (after < 0 || limit is < 1 or > 10_000)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "Paging out of range", $"after must be ≥ 0 and limit between 1 and 10000, got after {after}, limit {limit}.");
        }

        var alerts = await catalogue.Store.ReadAlertsAfterAsync(after, limit, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<AlertDto> page = alerts.Select(a => new AlertDto(a.Id, a.Sequence, a.Type, a.RecordedAt, JsonNode.Parse(a.Json))).ToList();
        return TypedResults.Ok(page);
    }

    /// <summary>
    /// GET /api/alerts/stream: <c>text/event-stream</c>, one SSE event per alert (<c>id</c> = alert id,
    /// <c>event</c> = alert type, <c>data</c> = the alert JSON). Resumes after the <c>Last-Event-ID</c>
    /// header (or <c>?after=</c>); a comment line is sent every 15 s to keep proxies open.
    /// </summary>
    public static async Task StreamAlerts(HttpContext context, CatalogueService catalogue, long after = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var lastEventId))
        {
            after = Math.Max(after, lastEventId);
        }

        var response = context.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var aborted = context.RequestAborted;
        await response.WriteAsync(": orleanshub alerts\n\n", aborted).ConfigureAwait(false);
        await response.Body.FlushAsync(aborted).ConfigureAwait(false);
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var signal = catalogue.AlertSignal;
                var alerts = await catalogue.Store.ReadAlertsAfterAsync(after, 500, aborted).ConfigureAwait(false);
                foreach (var alert in alerts)
                {
                    await response.WriteAsync($"id: {alert.Id}\nevent: {alert.Type}\ndata: {alert.Json}\n\n", aborted).ConfigureAwait(false);
                    after = alert.Id;
                }

                await response.Body.FlushAsync(aborted).ConfigureAwait(false);
                if (alerts.Count == 500)
                {
                    continue;
                }

                var finished = await Task.WhenAny(signal, Task.Delay(Heartbeat, aborted)).ConfigureAwait(false);
                if (finished != signal)
                {
                    await response.WriteAsync(": keep-alive\n\n", aborted).ConfigureAwait(false);
                    await response.Body.FlushAsync(aborted).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
