using FluentAssertions;
using OrleansHub.Contracts;
using OrleansHub.Contracts.Api;
using OrleansHub.Grains.Model;
using Xunit.Abstractions;

namespace OrleansHub.Client.Tests;

/// <summary>
/// The silo as a real process: killed with SIGKILL mid-ingestion, restarted on the same folder, it
/// holds every acknowledged song exactly once and equals a from-scratch replay of the same inserts.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper log) : IDisposable
{
    private const string Key = "crash-test-key-0123456789";
    private const int Songs = 400;
    private const int KillAfterAcknowledged = 150;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);
    private readonly string _crashed = Directory.CreateTempSubdirectory("orleanshub-crash-").FullName;
    private readonly string _replayed = Directory.CreateTempSubdirectory("orleanshub-replay-").FullName;

    public void Dispose()
    {
        Directory.Delete(_crashed, recursive: true);
        Directory.Delete(_replayed, recursive: true);
    }

    [Fact]
    public async Task KillMinus9MidIngestion_Restart_HoldsEveryAcknowledgedSongOnceAndEqualsAFreshReplay()
    {
        var songs = SyntheticCatalogue.Generate(Songs, seed: 11)
            .Select((s, i) => new SongFeatures($"crash-{i:D4}", s.Mean, s.Covariance, [s.Genre], Source: "synthetic"))
            .ToList();
        var acknowledged = new List<string>();
        string? inFlight = null;

        using (var first = await SiloProcess.StartAsync(_crashed, Key, StartTimeout))
        {
            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var ingestion = Task.Run(async () =>
            {
                foreach (var song in songs)
                {
                    inFlight = song.Id;
                    try
                    {
                        await first.Client.InsertAsync(song);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        return;
                    }

                    inFlight = null;
                    acknowledged.Add(song.Id);
                    if (acknowledged.Count == KillAfterAcknowledged)
                    {
                        enough.TrySetResult();
                    }
                }

                enough.TrySetResult();
            });

            await enough.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await first.KillAsync();
            await ingestion.WaitAsync(TimeSpan.FromSeconds(15));
        }

        acknowledged.Count.Should().BeGreaterThanOrEqualTo(KillAfterAcknowledged).And.BeLessThan(Songs, "the silo must be killed mid-ingestion");
        log.WriteLine($"acknowledged {acknowledged.Count}, in flight at the kill: {inFlight ?? "none"}");

        List<SongResponse> recovered;
        HubnessResponse[] recoveredHubness;
        using (var second = await SiloProcess.StartAsync(_crashed, Key, StartTimeout))
        {
            log.WriteLine(second.Log.Split('\n').FirstOrDefault(l => l.Contains("Recovered:", StringComparison.Ordinal)) ?? "(no recovery line)");
            recovered = [];
            foreach (var id in acknowledged)
            {
                recovered.Add(await second.Client.GetSongAsync(id));
            }

            if (inFlight is not null)
            {
                try
                {
                    recovered.Add(await second.Client.GetSongAsync(inFlight));
                }
                catch (OrleansHubApiException ex) when (ex.Status == 404)
                {
                    // The in-flight write was not durable: allowed, it was never acknowledged.
                }
            }

            recoveredHubness = [await second.Client.GetHubnessAsync("mp"), await second.Client.GetHubnessAsync("skl")];
            recoveredHubness.Should().OnlyContain(h => h.N == recovered.Count, "no song is duplicated or lost");
            recovered.Count.Should().BeOneOf(acknowledged.Count, acknowledged.Count + 1);
            recovered.Select(s => s.Sequence).Should().OnlyHaveUniqueItems();

            recovered = [.. recovered.OrderBy(s => s.Sequence)];
            using var replay = await SiloProcess.StartAsync(_replayed, Key, StartTimeout);
            var byId = songs.ToDictionary(s => s.Id, StringComparer.Ordinal);
            foreach (var song in recovered)
            {
                (await replay.Client.InsertAsync(byId[song.Id])).Created.Should().BeTrue();
            }

            foreach (var metric in new[] { "mp", "skl" })
            {
                (await replay.Client.GetHubnessAsync(metric)).Should().BeEquivalentTo(recoveredHubness[metric == "mp" ? 0 : 1], o => o.WithStrictOrdering());
                foreach (var song in recovered)
                {
                    var expected = await replay.Client.GetNeighboursAsync(song.Id, metric);
                    var actual = await second.Client.GetNeighboursAsync(song.Id, metric);
                    actual.Neighbours.Should().Equal(expected.Neighbours, $"{song.Id} under {metric} after recovery equals the replay");
                }
            }
        }
    }
}
