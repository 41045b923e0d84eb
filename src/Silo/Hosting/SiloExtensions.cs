using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansHub.Silo.Api;
using OrleansHub.Silo.Diagnostics;
using OrleansHub.Silo.Options;

namespace OrleansHub.Silo.Hosting;

/// <summary>Composition of the silo: services and endpoints.</summary>
public static class SiloExtensions
{
    /// <summary>Registers options (validated on start), ProblemDetails, the catalogue service, metrics, limits and the OpenAPI document.</summary>
    public static WebApplicationBuilder AddOrleansHubSilo(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OrleansHubOptions>()
            .Bind(builder.Configuration.GetSection(OrleansHubOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => IsValid(o.Webhooks), "OrleansHub:Webhooks has a value out of range.")
            .Validate(o => IsValid(o.Otlp), "OrleansHub:Otlp has a value out of range.")
            .ValidateOnStart();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // Kestrel's own body limit (a chunked body past OrleansHub:MaxBodyBytes) surfaces as an exception.
            if (context.Exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                context.ProblemDetails.Type = Problems.BodyTooLarge;
                context.ProblemDetails.Title = "Body too large";
                context.ProblemDetails.Detail = "The body exceeds the configured limit (OrleansHub:MaxBodyBytes).";
            }

            // The framework's own 415 (an endpoint declaring the JSON it accepts) gets the API's type.
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && context.ProblemDetails.Type?.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal) != false)
            {
                context.ProblemDetails.Type = Problems.UnsupportedMediaType;
                context.ProblemDetails.Title = "Unsupported content type";
            }
        });
        // The catalogue is the first hosted service: it recovers before the dispatcher starts, and stops after it.
        builder.Services.AddSingleton<CatalogueService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CatalogueService>());
        builder.Services.AddOpenApi();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<SiloMetrics>();
        builder.Services.AddSingleton<IngestMetricsFilter>();
        builder.Services.AddSingleton<OtlpMetricsExporter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OtlpMetricsExporter>());
        builder.Services.AddOrleansHubLimits();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigureHttpClient((services, client) => client.Timeout = services.GetRequiredService<IOptions<OrleansHubOptions>>().Value.Webhooks.Timeout);
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddSingleton<ApiKeyFilter>();
        return builder;
    }

    /// <summary>Maps every API area and the health endpoints.</summary>
    public static WebApplication MapOrleansHubSilo(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.UseRequestTimeouts();
        app.MapOpenApi();
        var songs = app.MapSongsApi();
        songs.AddEndpointFilter<IngestMetricsFilter>()
            .RequireRateLimiting(LimitsExtensions.IngestPolicy)
            .WithRequestTimeout(LimitsExtensions.TimeoutPolicy);
        var hubness = app.MapHubnessApi();
        hubness.WithRequestTimeout(LimitsExtensions.TimeoutPolicy);
        var alerts = app.MapAlertsApi();
        app.MapWebhooksApi().WithRequestTimeout(LimitsExtensions.TimeoutPolicy);
        if (app.Services.GetRequiredService<IOptions<OrleansHubOptions>>().Value.RequireKeyForReads)
        {
            // Reads closed by configuration: every API route needs a key (writes already do).
            songs.AddEndpointFilter<ApiKeyFilter>();
            hubness.AddEndpointFilter<ApiKeyFilter>();
            alerts.AddEndpointFilter<ApiKeyFilter>();
        }
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" })).WithTags("Health");
        app.MapGet("/health/ready", (CatalogueService catalogue) => catalogue.IsReady
            ? Results.Ok(new { status = "ready" })
            : Problems.Problem(StatusCodes.Status503ServiceUnavailable, Problems.Unavailable, "Not ready", "The catalogue is recovering or failed.")).WithTags("Health");
        return app;
    }

    private static bool IsValid(object section) =>
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(section, new System.ComponentModel.DataAnnotations.ValidationContext(section), null, validateAllProperties: true);
}
