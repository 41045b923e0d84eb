var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));

await app.RunAsync().ConfigureAwait(false);

/// <summary>Entry point; public so that in-process tests can host the silo.</summary>
public partial class Program;
