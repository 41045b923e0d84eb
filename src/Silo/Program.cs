using OrleansHub.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddOrleansHubSilo();

var app = builder.Build();
app.MapOrleansHubSilo();

await app.RunAsync().ConfigureAwait(false);

/// <summary>Entry point; public so that in-process tests can host the silo.</summary>
public partial class Program;
