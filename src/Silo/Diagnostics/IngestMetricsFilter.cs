using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansHub.Contracts.Api;

namespace OrleansHub.Silo.Diagnostics;

/// <summary>
/// Endpoint filter on the songs group: times every insert request (POST) and counts the songs it
/// added (201 for one song, the batch's <c>inserted</c> for a batch). Other requests pass through.
/// </summary>
public sealed class IngestMetricsFilter(SiloMetrics metrics) : IEndpointFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!HttpMethods.IsPost(context.HttpContext.Request.Method))
        {
            return await next(context).ConfigureAwait(false);
        }

        var started = Stopwatch.GetTimestamp();
        var result = await next(context).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var inner = result;
        while (inner is INestedHttpResult nested)
        {
            inner = nested.Result;
        }

        var status = (inner as IStatusCodeHttpResult)?.StatusCode ?? context.HttpContext.Response.StatusCode;
        var (route, added) = inner switch
        {
            Ok<BatchResponse> batch => ("batch", batch.Value?.Inserted ?? 0),
            Created<SongResponse> => ("song", 1),
            _ => (context.HttpContext.Request.Path.Value?.EndsWith("/batch", StringComparison.Ordinal) == true ? "batch" : "song", 0),
        };
        metrics.RecordInsert(route, status, elapsed, added);
        return result;
    }
}
