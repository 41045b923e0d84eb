using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansHub.Silo.Diagnostics;

namespace OrleansHub.Silo.Tests;

public sealed class LimitsAndMetricsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-limits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Ingest_BeyondTheKeysTokenBucket_Answers429RateLimitedWithRetryAfter_WhileReadsStayOpen()
    {
        await using var silo = new SiloHost(
            _dir,
            ("OrleansHub:IngestTokenLimit", "2"),
            ("OrleansHub:IngestTokensPerPeriod", "1"),
            ("OrleansHub:IngestReplenishmentPeriod", "01:00:00"));
        var songs = SiloHost.Songs(3);

        (await silo.Client.PostAsync("/api/songs", SiloHost.Json(songs[0]))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await silo.Client.PostAsync("/api/songs", SiloHost.Json(songs[1]))).StatusCode.Should().Be(HttpStatusCode.Created);
        var limited = await silo.Client.PostAsync("/api/songs", SiloHost.Json(songs[2]));

        limited.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        limited.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await limited.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("type").GetString().Should().Be("https://orleanshub.dev/problems/rate-limited");
        limited.Headers.RetryAfter.Should().NotBeNull();
        limited.Headers.RetryAfter!.Delta.Should().BeGreaterThan(TimeSpan.Zero);

        (await silo.Client.GetAsync("/api/songs/song-0000")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await silo.Client.GetAsync("/api/songs/song-0002")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Ingest_WithoutAKey_IsRejectedByTheKeyFilterNotTheRateLimiter()
    {
        await using var silo = new SiloHost(_dir, ("OrleansHub:IngestTokenLimit", "1"), ("OrleansHub:IngestReplenishmentPeriod", "01:00:00"));
        using var anonymous = silo.CreateAnonymousClient();
        var song = SiloHost.Songs(1)[0];

        for (var i = 0; i < 3; i++)
        {
            (await anonymous.PostAsync("/api/songs", SiloHost.Json(song))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        (await silo.Client.PostAsync("/api/songs", SiloHost.Json(song))).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Meter_CountsIngestedSongs_RecordsInsertLatency_AndObservesCatalogueSizeAndHubs()
    {
        await using var silo = new SiloHost(_dir);
        var metrics = silo.Services.GetRequiredService<SiloMetrics>();
        var longs = new List<(string Name, long Value, KeyValuePair<string, object?>[] Tags)>();
        var doubles = new List<(string Name, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (longs)
            {
                longs.Add((instrument.Name, value, tags.ToArray()));
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (doubles)
            {
                doubles.Add((instrument.Name, value));
            }
        });
        listener.Start();

        var songs = SiloHost.Songs(12);
        (await silo.Client.PostAsync("/api/songs", SiloHost.Json(songs[0]))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await silo.Client.PostAsync("/api/songs", SiloHost.Json(songs[0]))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(songs.Skip(1)))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await silo.Client.GetAsync("/api/songs/song-0000")).StatusCode.Should().Be(HttpStatusCode.OK);
        using (var anonymous = silo.CreateAnonymousClient())
        {
            (await anonymous.PostAsync("/api/songs", SiloHost.Json(songs[0]))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        listener.RecordObservableInstruments();

        longs.Where(m => m.Name == "orleanshub.songs.ingested").Sum(m => m.Value).Should().Be(12);
        doubles.Where(m => m.Name == "orleanshub.songs.insert.duration").Should().HaveCount(4, "three accepted inserts and one without a key").And.OnlyContain(m => m.Value >= 0);
        longs.Should().ContainSingle(m => m.Name == "orleanshub.catalogue.size").Which.Value.Should().Be(12);
        var hubs = longs.Where(m => m.Name == "orleanshub.catalogue.hubs").ToList();
        hubs.Should().HaveCount(2);
        hubs.Select(h => h.Tags.Single(t => t.Key == "metric").Value).Should().BeEquivalentTo(["skl", "mp"]);
        hubs.Should().OnlyContain(h => h.Value >= 0 && h.Value <= 12);
    }

    [Fact]
    public async Task OpenApiDocument_IsServed_AndListsTheApi()
    {
        await using var silo = new SiloHost(_dir);
        using var anonymous = silo.CreateAnonymousClient();

        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain(["/api/songs", "/api/songs/batch", "/api/songs/{id}", "/api/hubness", "/api/alerts", "/api/webhooks", "/api/webhooks/{id}/dead-letters"]);
        document.GetProperty("paths").GetProperty("/api/webhooks").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _).Should().BeTrue();
    }
}

public sealed class RequestTimeoutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-timeout-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Request_PastTheConfiguredTimeout_Answers504RequestTimeout()
    {
        await using var silo = new SiloHost(_dir, ("OrleansHub:RequestTimeout", "00:00:00.001"));

        var response = await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(SiloHost.Songs(300)));

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString().Should().Be("https://orleanshub.dev/problems/request-timeout");
        (await silo.Client.GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
