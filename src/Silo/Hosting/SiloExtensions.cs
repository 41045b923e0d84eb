using OrleansHub.Silo.Api;
using OrleansHub.Silo.Options;

namespace OrleansHub.Silo.Hosting;

/// <summary>Composition of the silo: services and endpoints.</summary>
public static class SiloExtensions
{
    /// <summary>Registers options (validated on start), ProblemDetails and the catalogue service.</summary>
    public static WebApplicationBuilder AddOrleansHubSilo(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OrleansHubOptions>()
            .Bind(builder.Configuration.GetSection(OrleansHubOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<CatalogueService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CatalogueService>());
        builder.Services.AddSingleton<ApiKeyFilter>();
        return builder;
    }

    /// <summary>Maps every API area and the health endpoints.</summary>
    public static WebApplication MapOrleansHubSilo(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var songs = app.MapSongsApi();
        var hubness = app.MapHubnessApi();
        var alerts = app.MapAlertsApi();
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OrleansHubOptions>>().Value.RequireKeyForReads)
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
}
