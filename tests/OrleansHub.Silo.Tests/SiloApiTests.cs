using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using OrleansHub.Contracts;
using OrleansHub.TestSupport;

namespace OrleansHub.Silo.Tests;

public sealed class SiloApiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-silo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task InsertSongs_ThenNeighboursHubnessHubsAntihubs_AreConsistent()
    {
        await using var silo = new SiloHost(_dir);
        var songs = SiloHost.Songs(40);
        foreach (var song in songs)
        {
            var response = await silo.Client.PostAsync("/api/songs", SiloHost.Json(song));
            response.StatusCode.Should().Be(HttpStatusCode.Created);
            response.Headers.Location!.ToString().Should().Be($"/api/songs/{song.Id}");
        }

        var last = await silo.Client.GetFromJsonAsync<JsonElement>("/api/songs/song-0039");
        last.GetProperty("sklNeighbours").GetArrayLength().Should().Be(5);
        last.GetProperty("mpNeighbours").GetArrayLength().Should().Be(5);

        foreach (var metric in new[] { "skl", "mp" })
        {
            var n = await silo.Client.GetFromJsonAsync<JsonElement>($"/api/songs/song-0007/neighbours?metric={metric}&k=3");
            n.GetProperty("metric").GetString().Should().Be(metric);
            var distances = n.GetProperty("neighbours").EnumerateArray().Select(e => e.GetProperty("distance").GetDouble()).ToList();
            distances.Should().HaveCount(3).And.BeInAscendingOrder();

            var hubness = await silo.Client.GetFromJsonAsync<JsonElement>($"/api/hubness?metric={metric}");
            hubness.GetProperty("n").GetInt32().Should().Be(40);
            hubness.GetProperty("k").GetInt32().Should().Be(5);
            hubness.GetProperty("histogram").EnumerateArray().Sum(v => v.GetInt64()).Should().Be(40);

            var hubs = await silo.Client.GetFromJsonAsync<JsonElement>($"/api/hubs?metric={metric}&top=5");
            hubs.EnumerateArray().Select(h => h.GetProperty("occurrence").GetInt32()).Should().BeInDescendingOrder();
            hubs.EnumerateArray().First().GetProperty("occurrence").GetInt32().Should().Be(hubness.GetProperty("maxOccurrence").GetInt32());

            var anti = await silo.Client.GetFromJsonAsync<JsonElement>($"/api/antihubs?metric={metric}&page=1&pageSize=1000");
            anti.GetProperty("ids").GetArrayLength().Should().Be((int)hubness.GetProperty("antihubs").GetInt64());
        }

        (await silo.Client.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task InsertSong_SameIdAgain_Is200WhenIdenticalAnd409WhenDifferent()
    {
        await using var silo = new SiloHost(_dir);
        var songs = SiloHost.Songs(6);
        foreach (var song in songs)
        {
            (await silo.Client.PostAsync("/api/songs", SiloHost.Json(song))).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        (await silo.Client.PostAsync("/api/songs", SiloHost.Json(songs[2]))).StatusCode.Should().Be(HttpStatusCode.OK);
        var other = songs[3] with { Id = songs[2].Id };
        var conflict = await silo.Client.PostAsync("/api/songs", SiloHost.Json(other));
        conflict.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await ProblemType(conflict)).Should().EndWith("/id-conflict");
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/hubness")).GetProperty("n").GetInt32().Should().Be(6);
    }

    [Fact]
    public async Task Batch_InsertsAllNewSongsOnceAndRejectsConflictsWhole()
    {
        await using var silo = new SiloHost(_dir);
        var songs = SiloHost.Songs(30);
        var first = await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(songs.Take(20)));
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("inserted").GetInt32().Should().Be(20);

        var again = await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(songs.Take(25)));
        (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("inserted").GetInt32().Should().Be(5);

        var clash = await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson([songs[26], songs[27] with { Id = songs[0].Id }]));
        clash.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/hubness")).GetProperty("n").GetInt32().Should().Be(25);
    }

    [Fact]
    public async Task IdWithSlash_IsReadableAndDeletableWhenEscaped()
    {
        await using var silo = new SiloHost(_dir);
        var songs = SiloHost.Songs(7).Select((s, i) => s with { Id = $"game{i % 2}/track {i}" }).ToList();
        foreach (var song in songs)
        {
            (await silo.Client.PostAsync("/api/songs", SiloHost.Json(song))).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        var escaped = Uri.EscapeDataString("game1/track 3");
        (await silo.Client.GetFromJsonAsync<JsonElement>($"/api/songs/{escaped}")).GetProperty("id").GetString().Should().Be("game1/track 3");
        (await silo.Client.GetAsync($"/api/songs/{escaped}/neighbours?metric=skl")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await silo.Client.DeleteAsync($"/api/songs/{escaped}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Delete_RemovesTheSongAndIsNotFoundAfterwards()
    {
        await using var silo = new SiloHost(_dir);
        foreach (var song in SiloHost.Songs(12))
        {
            await silo.Client.PostAsync("/api/songs", SiloHost.Json(song));
        }

        (await silo.Client.DeleteAsync("/api/songs/song-0004")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await silo.Client.GetAsync("/api/songs/song-0004")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await silo.Client.DeleteAsync("/api/songs/song-0004")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var n = await silo.Client.GetFromJsonAsync<JsonElement>("/api/songs/song-0005/neighbours?metric=skl");
        n.GetProperty("neighbours").EnumerateArray().Select(e => e.GetProperty("id").GetString()).Should().NotContain("song-0004");
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/hubness")).GetProperty("n").GetInt32().Should().Be(11);
    }

    [Fact]
    public async Task Writes_WithoutOrWithWrongKey_Are401AndReadsAreOpen()
    {
        await using var silo = new SiloHost(_dir);
        using var anonymous = silo.CreateAnonymousClient();
        var song = SiloHost.Songs(1)[0];
        var missing = await anonymous.PostAsync("/api/songs", SiloHost.Json(song));
        missing.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ProblemType(missing)).Should().EndWith("/api-key-required");

        anonymous.DefaultRequestHeaders.Add("X-Api-Key", "nope");
        var wrong = await anonymous.DeleteAsync("/api/songs/x");
        wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ProblemType(wrong)).Should().EndWith("/api-key-invalid");
        (await anonymous.GetAsync("/api/hubness")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Reads_ClosedByConfiguration_Need401()
    {
        await using var silo = new SiloHost(_dir, ("OrleansHub:RequireKeyForReads", "true"));
        using var anonymous = silo.CreateAnonymousClient();
        (await anonymous.GetAsync("/api/hubness")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await silo.Client.GetAsync("/api/hubness")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> MalformedRequests()
    {
        var good = FeaturesJsonLines.ToLine(SiloHost.Songs(1)[0]);
        var data = new TheoryData<string, string, string, HttpStatusCode, string>
        {
            { "POST", "/api/songs", "{not json", HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", "[]", HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", "{}", HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", "{\"id\": \"\"}", HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", good.Replace("\"mean\":[", "\"mean\":[1,", StringComparison.Ordinal), HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", good.Replace("\"covariance\":[", "\"covariance\":[\"x\",", StringComparison.Ordinal), HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", good.Replace("\"mean\":[", "\"mean\":[NaN,", StringComparison.Ordinal), HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", good.Replace("\"mean\":[", "\"mean\":[1e999,", StringComparison.Ordinal)[..^1], HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs", string.Empty, HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs/batch", "{bad}\n" + good, HttpStatusCode.BadRequest, "invalid-features" },
            { "POST", "/api/songs/batch", "\n\n", HttpStatusCode.BadRequest, "invalid-features" },
            { "GET", "/api/songs/nope", string.Empty, HttpStatusCode.NotFound, "song-not-found" },
            { "GET", "/api/songs/nope/neighbours", string.Empty, HttpStatusCode.NotFound, "song-not-found" },
            { "DELETE", "/api/songs/nope", string.Empty, HttpStatusCode.NotFound, "song-not-found" },
            { "GET", "/api/songs/song-0000/neighbours?k=0", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/songs/song-0000/neighbours?k=6", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/songs/song-0000/neighbours?metric=euclid", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/hubness?metric=nope", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/hubs?top=0", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/hubs?top=5000", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/antihubs?page=0", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/antihubs?pageSize=0", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/alerts?after=-1", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
            { "GET", "/api/alerts?limit=0", string.Empty, HttpStatusCode.BadRequest, "invalid-parameter" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task MalformedRequest_GetsTheRightProblemAndTheSiloStaysHealthy(string method, string path, string body, HttpStatusCode status, string type)
    {
        await using var silo = new SiloHost(_dir);
        (await silo.Client.PostAsync("/api/songs", SiloHost.Json(SiloHost.Songs(6)[0]))).EnsureSuccessStatusCode();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(body, Encoding.UTF8, path.EndsWith("batch", StringComparison.Ordinal) ? "application/x-ndjson" : "application/json");
        }

        var response = await silo.Client.SendAsync(request);
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await ProblemType(response)).Should().EndWith("/" + type);
        (await silo.Client.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/hubness")).GetProperty("n").GetInt32().Should().Be(1);
    }

    [Theory]
    [InlineData("/api/songs", "text/plain")]
    [InlineData("/api/songs", "application/xml")]
    [InlineData("/api/songs/batch", "application/json")]
    public async Task WrongContentType_Is415(string path, string contentType)
    {
        await using var silo = new SiloHost(_dir);
        var content = new StringContent("x");
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        var response = await silo.Client.PostAsync(path, content);
        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await ProblemType(response)).Should().EndWith("/unsupported-media-type");
    }

    [Fact]
    public async Task AudioUpload_Wav_IsAnalysedAndInserted()
    {
        await using var silo = new SiloHost(_dir);
        foreach (var song in SiloHost.Songs(8))
        {
            await silo.Client.PostAsync("/api/songs", SiloHost.Json(song));
        }

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Wav(440, 3)), "file", "tone.wav" },
            { new StringContent("ambient;test"), "labels" },
        };
        var response = await silo.Client.PostAsync("/api/songs", form);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("id").GetString().Should().Be("tone");
        body.GetProperty("sklNeighbours").GetArrayLength().Should().Be(5);
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/hubness")).GetProperty("n").GetInt32().Should().Be(9);
    }

    [Theory]
    [InlineData("garbage.wav", "not audio at all")]
    [InlineData("empty.wav", "")]
    public async Task AudioUpload_CorruptOrEmpty_Is400AndStoresNothing(string name, string content)
    {
        await using var silo = new SiloHost(_dir);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", name } };
        var response = await silo.Client.PostAsync("/api/songs", form);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemType(response)).Should().EndWith("/invalid-audio");
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/hubness")).GetProperty("n").GetInt32().Should().Be(0);
        (await silo.Client.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task HugeBody_Is413()
    {
        await using var silo = new SiloHost(_dir, ("OrleansHub:MaxBodyBytes", "4096"));
        var response = await silo.Client.PostAsync("/api/songs", SiloHost.Json(SiloHost.Songs(1)[0]));
        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await ProblemType(response)).Should().EndWith("/body-too-large");
    }

    [Fact]
    public async Task Restart_RecoversSnapshotPlusTail_WithIdenticalAnswers()
    {
        var songs = SiloHost.Songs(30);
        var before = new Dictionary<string, string>();
        string hubnessBefore;
        await using (var silo = new SiloHost(_dir, ("OrleansHub:SnapshotEvery", "7")))
        {
            foreach (var song in songs)
            {
                await silo.Client.PostAsync("/api/songs", SiloHost.Json(song));
            }

            await silo.Client.DeleteAsync("/api/songs/song-0010");
            foreach (var song in songs.Where(s => s.Id != "song-0010"))
            {
                before[song.Id] = await silo.Client.GetStringAsync($"/api/songs/{song.Id}/neighbours?metric=mp") + await silo.Client.GetStringAsync($"/api/songs/{song.Id}/neighbours?metric=skl");
            }

            hubnessBefore = await silo.Client.GetStringAsync("/api/hubness?metric=mp");
        }

        await using var restarted = new SiloHost(_dir, ("OrleansHub:SnapshotEvery", "7"));
        (await restarted.Client.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
        foreach (var (id, answer) in before)
        {
            (await restarted.Client.GetStringAsync($"/api/songs/{id}/neighbours?metric=mp") + await restarted.Client.GetStringAsync($"/api/songs/{id}/neighbours?metric=skl")).Should().Be(answer);
        }

        (await restarted.Client.GetStringAsync("/api/hubness?metric=mp")).Should().Be(hubnessBefore);
        (await restarted.Client.PostAsync("/api/songs", SiloHost.Json(songs[3]))).StatusCode.Should().Be(HttpStatusCode.OK, "the song index survives the restart");
        (await restarted.Client.GetAsync("/api/songs/song-0010")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Alerts_ArePagedAndTheStreamResumesAfterLastEventId()
    {
        // Hub size 1 (hub: O^k ≥ 5) makes hub alerts frequent in a small catalogue.
        await using var silo = new SiloHost(_dir, ("OrleansHub:HubSize", "1"));
        await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(SiloHost.Songs(40)));
        var alerts = await silo.Client.GetFromJsonAsync<JsonElement>("/api/alerts?after=0&limit=1000");
        var ids = alerts.EnumerateArray().Select(a => a.GetProperty("id").GetInt64()).ToList();
        ids.Should().HaveCountGreaterThan(2);
        ids.Should().Equal(Enumerable.Range(1, ids.Count).Select(i => (long)i));
        alerts.EnumerateArray().Should().OnlyContain(a => a.GetProperty("alert").GetProperty("type").GetString() == a.GetProperty("type").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/alerts/stream");
        request.Headers.Add("Last-Event-ID", "2");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await silo.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var firstId = await ReadFirstEventIdAsync(reader, cts.Token);
        firstId.Should().Be(3);
    }

    /// <summary>A mono 16-bit 22,050 Hz WAV of a tone with a little deterministic noise.</summary>
    private static byte[] Wav(double frequency, double seconds)
    {
        const int rate = 22050;
        var frames = (int)(seconds * rate);
        var data = new byte[frames * 2];
        var rng = new Random(7);
        for (var f = 0; f < frames; f++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(f * 2), (short)(16000 * (Math.Sin(2 * Math.PI * frequency * f / rate) + (0.02 * (rng.NextDouble() - 0.5)))));
        }

        using var stream = new MemoryStream();
        Pcm16Wav.Write(stream, 1, rate, data);
        return stream.ToArray();
    }

    private static async Task<long> ReadFirstEventIdAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                return long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    private static async Task<string> ProblemType(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("type").GetString()!;
    }
}
