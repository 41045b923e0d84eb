using System.Net;
using System.Text;
using FluentAssertions;
using OrleansHub.Contracts.Api;

namespace OrleansHub.Client.Tests;

public sealed class OrleansHubClientTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Insert_NewThenIdenticalThenDifferentContent_IsCreatedThenExistingThen409Problem()
    {
        await using var silo = new InProcessSilo();
        var songs = InProcessSilo.Songs(8);
        foreach (var song in songs)
        {
            (await silo.Client.InsertAsync(song)).Created.Should().BeTrue();
        }

        var again = await silo.Client.InsertAsync(songs[3]);
        again.Created.Should().BeFalse();
        again.Song.Id.Should().Be(songs[3].Id);

        var act = () => silo.Client.InsertAsync(songs[4] with { Id = songs[3].Id });
        var thrown = (await act.Should().ThrowAsync<OrleansHubApiException>()).Which;
        thrown.Status.Should().Be(409);
        thrown.Type.Should().EndWith("/id-conflict");
        thrown.Title.Should().NotBeNullOrEmpty();
        thrown.Detail.Should().Contain(songs[3].Id);
        (await silo.Client.GetHubnessAsync()).N.Should().Be(8);
    }

    [Fact]
    public async Task InsertBatch_WithSongsAlreadyPresent_InsertsOnlyTheNewOnes()
    {
        await using var silo = new InProcessSilo();
        var songs = InProcessSilo.Songs(30);
        (await silo.Client.InsertBatchAsync(songs.Take(12))).Inserted.Should().Be(12);

        var second = await silo.Client.InsertBatchAsync(songs);
        second.Inserted.Should().Be(18);
        second.Ids.Should().Equal(songs.Skip(12).Select(s => s.Id));
        (await silo.Client.InsertBatchAsync(songs.Take(5))).Inserted.Should().Be(0);
        (await silo.Client.GetHubnessAsync("skl")).N.Should().Be(30);
    }

    [Fact]
    public async Task InsertBatch_ConflictingId_ThrowsWithTheIdsExtensionAndInsertsNothing()
    {
        await using var silo = new InProcessSilo();
        var songs = InProcessSilo.Songs(10);
        await silo.Client.InsertBatchAsync(songs.Take(5));

        var batch = songs.Skip(5).Append(songs[9] with { Id = songs[0].Id });
        var thrown = (await FluentActions.Awaiting(() => silo.Client.InsertBatchAsync(batch)).Should().ThrowAsync<OrleansHubApiException>()).Which;
        thrown.Status.Should().Be(409);
        thrown.Problem.Extensions["ids"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal(songs[0].Id);
        (await silo.Client.GetHubnessAsync()).N.Should().Be(5);
    }

    [Fact]
    public async Task Reads_AfterInserts_AreConsistentAcrossSongNeighboursHubnessHubsAndAntihubs()
    {
        await using var silo = new InProcessSilo();
        var songs = InProcessSilo.Songs(40);
        var batch = await silo.Client.InsertBatchAsync(songs);

        var song = await silo.Client.GetSongAsync("song-0039");
        song.Sequence.Should().Be(batch.LastSequence);
        song.SklNeighbours.Should().HaveCount(5);
        song.MpNeighbours.Should().HaveCount(5);
        foreach (var metric in new[] { "mp", "skl" })
        {
            var neighbours = await silo.Client.GetNeighboursAsync("song-0007", metric, 3);
            neighbours.Metric.Should().Be(metric);
            neighbours.Neighbours.Select(n => n.Distance).Should().HaveCount(3).And.BeInAscendingOrder();

            var hubness = await silo.Client.GetHubnessAsync(metric);
            hubness.N.Should().Be(40);
            hubness.Histogram.Sum().Should().Be(40);
            var hubs = await silo.Client.GetHubsAsync(metric, 5);
            hubs.Select(h => h.Occurrence).Should().BeInDescendingOrder();
            hubs[0].Occurrence.Should().Be(hubness.MaxOccurrence);
            var antihubs = await silo.Client.GetAntihubsAsync(metric, 1, 1000);
            antihubs.Ids.Should().HaveCount((int)hubness.Antihubs);
        }
    }

    [Fact]
    public async Task Delete_ThenGet_Is404ProblemWithTypeTitleAndDetail()
    {
        await using var silo = new InProcessSilo();
        var songs = InProcessSilo.Songs(6);
        await silo.Client.InsertBatchAsync(songs);
        await silo.Client.DeleteAsync(songs[2].Id);

        var thrown = (await FluentActions.Awaiting(() => silo.Client.GetSongAsync(songs[2].Id)).Should().ThrowAsync<OrleansHubApiException>()).Which;
        thrown.Status.Should().Be(404);
        thrown.Type.Should().Be("https://orleanshub.dev/problems/song-not-found");
        thrown.Title.Should().Be("Song not found");
        thrown.Detail.Should().Contain(songs[2].Id);
        (await FluentActions.Awaiting(() => silo.Client.DeleteAsync(songs[2].Id)).Should().ThrowAsync<OrleansHubApiException>()).Which.Status.Should().Be(404);
    }

    [Fact]
    public async Task Errors_MissingKeyAndBadParameters_SurfaceTheirProblemTypes()
    {
        await using var silo = new InProcessSilo();
        using var anonymous = silo.CreateClient(null);
        (await FluentActions.Awaiting(() => anonymous.InsertAsync(InProcessSilo.Songs(1)[0])).Should().ThrowAsync<OrleansHubApiException>())
            .Which.Type.Should().EndWith("/api-key-required");
        using var wrong = silo.CreateClient("wrong-key");
        (await FluentActions.Awaiting(() => wrong.InsertBatchAsync(InProcessSilo.Songs(2))).Should().ThrowAsync<OrleansHubApiException>())
            .Which.Type.Should().EndWith("/api-key-invalid");
        (await FluentActions.Awaiting(() => silo.Client.GetHubnessAsync("cosine")).Should().ThrowAsync<OrleansHubApiException>())
            .Which.Should().Match<OrleansHubApiException>(e => e.Status == 400 && e.Type!.EndsWith("/invalid-parameter", StringComparison.Ordinal));
        await silo.Client.InsertBatchAsync(InProcessSilo.Songs(8));
        (await FluentActions.Awaiting(() => silo.Client.GetNeighboursAsync("song-0001", "mp", 99)).Should().ThrowAsync<OrleansHubApiException>())
            .Which.Status.Should().Be(400);
        (await FluentActions.Awaiting(() => silo.Client.GetAlertsAsync(-1)).Should().ThrowAsync<OrleansHubApiException>())
            .Which.Status.Should().Be(400);
    }

    [Fact]
    public async Task Alerts_PageAndStream_ResumeAfterTheGivenId()
    {
        // Hub size 1 (hub: O^k ≥ 5) makes alerts frequent in a small catalogue.
        await using var silo = new InProcessSilo(("OrleansHub:HubSize", "1"));
        await silo.Client.InsertBatchAsync(InProcessSilo.Songs(40));
        var page = await silo.Client.GetAlertsAsync(0, 1000);
        page.Count.Should().BeGreaterThan(3);
        page.Select(a => a.Id).Should().Equal(Enumerable.Range(1, page.Count).Select(i => (long)i));

        using var cts = new CancellationTokenSource(Bound);
        var streamed = new List<AlertEvent>();
        await foreach (var alert in silo.Client.WatchAlertsAsync(2, cts.Token))
        {
            streamed.Add(alert);
            if (streamed.Count == page.Count - 2)
            {
                break;
            }
        }

        streamed.Select(a => a.Id).Should().Equal(page.Skip(2).Select(a => a.Id));
        streamed.Select(a => a.Type).Should().Equal(page.Skip(2).Select(a => a.Type));
        streamed[0].Alert!["type"]!.GetValue<string>().Should().Be(page[2].Type);
    }

    [Fact]
    public async Task WatchAlerts_ConnectionFailuresAndEndedStreams_ReconnectWithBackOffAndResumeWithLastEventId()
    {
        var handler = new ScriptedStreamHandler(
            _ => throw new HttpRequestException("connection refused"),
            _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("{\"status\":503,\"title\":\"Not ready\"}", Encoding.UTF8, "application/problem+json") },
            _ => Sse(": hello\n\nid: 1\nevent: hub-emerged\ndata: {\"type\":\"hub-emerged\",\"id\":\"a\"}\n\nid: 2\nevent: hub-receded\ndata: {\"type\":\"hub-receded\"}\n\n"),
            _ => Sse("id: 3\nevent: catalogue-drift\ndata: {\"type\":\"catalogue-drift\"}\n\n"));
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://orleanshub.test/") };
        using var client = new OrleansHubClient(http) { Reconnect = new ReconnectPolicy(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(4)) };
        var delays = new List<TimeSpan>();
        using var cts = new CancellationTokenSource(Bound);

        var received = new List<AlertEvent>();
        await foreach (var alert in client.WatchAlertsAsync(0, (_, delay) => delays.Add(delay), cts.Token))
        {
            received.Add(alert);
            if (received.Count == 3)
            {
                break;
            }
        }

        received.Select(a => (a.Id, a.Type)).Should().Equal((1L, "hub-emerged"), (2L, "hub-receded"), (3L, "catalogue-drift"));
        received[0].Alert!["id"]!.GetValue<string>().Should().Be("a");
        handler.LastEventIds.Should().Equal(null, null, null, "2");
        delays.Should().Equal(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task WatchAlerts_ClientError_EndsWithTheProblem()
    {
        var handler = new ScriptedStreamHandler(_ => new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            Content = new StringContent("{\"type\":\"https://orleanshub.dev/problems/api-key-required\",\"title\":\"API key required\",\"status\":401}", Encoding.UTF8, "application/problem+json"),
        });
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://orleanshub.test/") };
        using var client = new OrleansHubClient(http);
        using var cts = new CancellationTokenSource(Bound);

        var act = async () =>
        {
            await foreach (var alert in client.WatchAlertsAsync(0, cts.Token))
            {
                _ = alert;
            }
        };

        (await act.Should().ThrowAsync<OrleansHubApiException>()).Which.Type.Should().EndWith("/api-key-required");
    }

    private static HttpResponseMessage Sse(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "text/event-stream") };

    /// <summary>Answers the n-th request with the n-th script entry and records each request's Last-Event-ID.</summary>
    private sealed class ScriptedStreamHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] script) : HttpMessageHandler
    {
        private int _calls;

        public List<string?> LastEventIds { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var values) ? values.Single() : null);
            var step = script[Math.Min(_calls++, script.Length - 1)];
            return Task.FromResult(step(request));
        }
    }
}
