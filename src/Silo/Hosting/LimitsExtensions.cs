using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OrleansHub.Silo.Api;
using OrleansHub.Silo.Options;

namespace OrleansHub.Silo.Hosting;

/// <summary>Request limits: per-key ingestion rate limiting, request timeouts and the Kestrel body size limit.</summary>
public static class LimitsExtensions
{
    /// <summary>Rate-limiter policy of the ingestion endpoints (POST under <c>/api/songs</c>).</summary>
    public const string IngestPolicy = "ingest";

    /// <summary>Request-timeout policy of the API groups.</summary>
    public const string TimeoutPolicy = "api";

    /// <summary>Registers the rate limiter, the request timeouts and the Kestrel body limit, all from <see cref="OrleansHubOptions"/>.</summary>
    public static IServiceCollection AddOrleansHubLimits(this IServiceCollection services)
    {
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<OrleansHubOptions>>((kestrel, options) =>
                kestrel.Limits.MaxRequestBodySize = options.Value.MaxBodyBytes + 1); // one byte more, so the endpoints see the overflow and answer their own 413
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<OrleansHubOptions>>((limiter, options) =>
        {
            var o = options.Value;
            limiter.OnRejected = OnRejectedAsync;
            limiter.AddPolicy(IngestPolicy, context =>
            {
                var key = context.Request.Headers[ApiKeyFilter.Header].ToString();
                var catalogue = context.RequestServices.GetRequiredService<CatalogueService>();

                // Reads are not limited here; requests without a known key are rejected by the key filter.
                if (!HttpMethods.IsPost(context.Request.Method) || string.IsNullOrEmpty(key) || !catalogue.IsValidKey(key))
                {
                    return RateLimitPartition.GetNoLimiter(string.Empty);
                }

                return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = o.IngestTokenLimit,
                    TokensPerPeriod = o.IngestTokensPerPeriod,
                    ReplenishmentPeriod = o.IngestReplenishmentPeriod,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        });
        services.AddRequestTimeouts(_ => { });
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<OrleansHubOptions>>((timeouts, options) =>
            timeouts.AddPolicy(TimeoutPolicy, new RequestTimeoutPolicy
            {
                Timeout = options.Value.RequestTimeout,
                TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
                WriteTimeoutResponse = WriteTimeoutAsync,
            }));
        return services;
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var response = context.HttpContext.Response;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Problem(
            StatusCodes.Status429TooManyRequests,
            Problems.RateLimited,
            "Too many requests",
            $"The ingestion rate limit of this API key is exhausted; retry after {seconds} s.").ExecuteAsync(context.HttpContext).ConfigureAwait(false);
    }

    private static Task WriteTimeoutAsync(HttpContext context) =>
        Problems.Problem(
            StatusCodes.Status504GatewayTimeout,
            Problems.RequestTimeout,
            "Request timed out",
            "The request took longer than the configured OrleansHub:RequestTimeout.").ExecuteAsync(context);
}
