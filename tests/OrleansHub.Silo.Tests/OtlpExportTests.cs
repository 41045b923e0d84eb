using System.Collections.Concurrent;
using System.Net;
using System.Text;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansHub.Silo.Diagnostics;

namespace OrleansHub.Silo.Tests;

public sealed class OtlpExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-otlp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Metrics_AreExportedOverOtlpHttp_WhenAnEndpointIsConfigured()
    {
        var bodies = new ConcurrentQueue<byte[]>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var collector = builder.Build();
        collector.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            bodies.Enqueue(buffer.ToArray());
            return Results.Ok();
        });
        await collector.StartAsync();

        await using (var silo = new SiloHost(
            _dir,
            ("OrleansHub:Otlp:Endpoint", collector.Urls.First() + "/v1/metrics"),
            ("OrleansHub:Otlp:Protocol", "HttpProtobuf"),
            ("OrleansHub:Otlp:ExportInterval", "01:00:00")))
        {
            silo.Services.GetRequiredService<OtlpMetricsExporter>().IsExporting.Should().BeTrue();
            (await silo.Client.PostAsync("/api/songs", SiloHost.Json(SiloHost.Songs(1)[0]))).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        // Stopping the silo flushes the exporter once (the interval is an hour).
        var exported = bodies.SelectMany(b => b).ToArray();
        Encoding.UTF8.GetString(exported).Should().Contain("orleanshub.songs.ingested").And.Contain("OrleansHub.Silo");
        await collector.StopAsync();
    }

    [Fact]
    public async Task Otlp_IsOff_WithoutAnEndpoint()
    {
        await using var silo = new SiloHost(_dir);
        silo.Services.GetRequiredService<OtlpMetricsExporter>().IsExporting.Should().BeFalse();
    }
}
