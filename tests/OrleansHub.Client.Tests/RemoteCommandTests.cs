using System.CommandLine;
using FluentAssertions;
using OrleansHub.Client.Commands;
using OrleansHub.Client.Remote;
using OrleansHub.Contracts;

namespace OrleansHub.Client.Tests;

public sealed class RemoteCommandTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-remote-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Ingest_RunTwiceOverAGrowingFile_InsertsThenSkipsWhatIsPresent()
    {
        await using var silo = new InProcessSilo();
        var songs = InProcessSilo.Songs(50);
        var first = Write("first.jsonl", songs.Take(20));
        var all = Write("all.jsonl", songs);

        var (code, output, error) = await RunAsync(silo, IngestCommand.Create, first, "--api-key", InProcessSilo.Key, "--batch-size", "7", "--parallel", "3");
        code.Should().Be(0, error);
        output.Should().Contain("20 inserted, 0 skipped (already present), 0 failed");
        error.Should().Contain("ingest: 20/20");

        (code, output, error) = await RunAsync(silo, IngestCommand.Create, all, "--api-key", InProcessSilo.Key, "--batch-size", "9");
        code.Should().Be(0, error);
        output.Should().Contain("30 inserted, 20 skipped (already present), 0 failed");
        (await silo.Client.GetHubnessAsync()).N.Should().Be(50);
    }

    [Fact]
    public async Task Ingest_IdTakenByOtherContentAndMalformedLine_ReportsThemFailedInsertsTheRestAndExits1()
    {
        await using var silo = new InProcessSilo();
        var songs = InProcessSilo.Songs(12);
        await silo.Client.InsertAsync(songs[0]);
        var path = Write("mixed.jsonl", songs.Skip(1).Append(songs[11] with { Id = songs[0].Id }));
        await File.AppendAllTextAsync(path, "{\"id\":\"broken\",\"mean\":[1,2]}\n");

        var (code, output, error) = await RunAsync(silo, IngestCommand.Create, path, "--api-key", InProcessSilo.Key, "--batch-size", "100");

        code.Should().Be(1);
        output.Should().Contain("11 inserted, 0 skipped (already present), 2 failed");
        error.Should().Contain($"failed: {songs[0].Id}: the server holds a different song under this id (409)");
        error.Should().Contain("line 13");
        (await silo.Client.GetHubnessAsync()).N.Should().Be(12);
    }

    [Fact]
    public async Task Ingest_KeyFromEnvironmentOrMissing_IsAcceptedOrRefusedWith401()
    {
        await using var silo = new InProcessSilo();
        var path = Write("songs.jsonl", InProcessSilo.Songs(5));
        var (code, _, error) = await RunAsync(silo, IngestCommand.Create, path);
        code.Should().Be(1);
        error.Should().Contain("401").And.Contain("api-key-required");

        Environment.SetEnvironmentVariable(RemoteOptions.ApiKeyVariable, InProcessSilo.Key);
        try
        {
            (code, var output, error) = await RunAsync(silo, IngestCommand.Create, path);
            code.Should().Be(0, error);
            output.Should().Contain("5 inserted");
        }
        finally
        {
            Environment.SetEnvironmentVariable(RemoteOptions.ApiKeyVariable, null);
        }
    }

    [Fact]
    public async Task Ingest_AudioFolderAndFeaturesFile_ExtractsAndSendsBoth_ThenSkipsThemOnARerun()
    {
        await using var silo = new InProcessSilo();
        ToneWriter.Write(Path.Combine(_dir, "music", "jazz", "a.wav"), 440, 3);
        ToneWriter.Write(Path.Combine(_dir, "music", "rock", "b.wav"), 880, 3);
        var features = Write("features.jsonl", InProcessSilo.Songs(3));

        var (code, output, error) = await RunAsync(silo, IngestCommand.Create, Path.Combine(_dir, "music"), features, "--api-key", InProcessSilo.Key);
        code.Should().Be(0, error);
        output.Should().Contain("5 inserted, 0 skipped (already present), 0 failed");
        (await silo.Client.GetHubnessAsync()).N.Should().Be(5);

        (code, output, error) = await RunAsync(silo, IngestCommand.Create, Path.Combine(_dir, "music"), features, "--api-key", InProcessSilo.Key);
        code.Should().Be(0, error);
        output.Should().Contain("0 inserted, 5 skipped (already present), 0 failed");
    }

    [Fact]
    public async Task NeighboursAndHubness_PrintTheServerAnswers_AndAnUnknownIdExits1()
    {
        await using var silo = new InProcessSilo();
        await silo.Client.InsertBatchAsync(InProcessSilo.Songs(30));
        var expected = await silo.Client.GetNeighboursAsync("song-0004", "skl", 3);

        var (code, output, error) = await RunAsync(silo, NeighboursCommand.Create, "song-0004", "--metric", "skl", "--k", "3");
        code.Should().Be(0, error);
        output.Should().Contain("neighbours of song-0004 (skl)");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        lines.Should().HaveCount(3);
        lines.Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[1]).Should().Equal(expected.Neighbours.Select(n => n.Id));

        (code, _, error) = await RunAsync(silo, NeighboursCommand.Create, "no-such-song");
        code.Should().Be(1);
        error.Should().Contain("404").And.Contain("song-not-found");

        (code, output, error) = await RunAsync(silo, HubnessCommand.Create, "--metric", "mp", "--top", "3");
        code.Should().Be(0, error);
        output.Should().Contain("hubness (mp)").And.Contain("songs n          30").And.Contain("largest O^k:");
    }

    [Fact]
    public async Task Watch_PrintsStoredAndNewAlertsAfterTheGivenId_UntilCancelled()
    {
        await using var silo = new InProcessSilo(("OrleansHub:HubSize", "1"));
        var songs = InProcessSilo.Songs(60);
        await silo.Client.InsertBatchAsync(songs.Take(30));
        var stored = await silo.Client.GetAlertsAsync(0, 1000);
        stored.Should().NotBeEmpty();

        using var output = new SignallingWriter();
        using var error = new StringWriter();
        using var cts = new CancellationTokenSource(Bound);
        var root = new RootCommand { WatchCommand.Create(output, error, silo.Clients) };
        var watching = root.Parse(["watch", "--after", "1"]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cts.Token);

        await output.WaitForLineStartingAsync($"{stored[^1].Id} ", cts.Token);
        await silo.Client.InsertBatchAsync(songs.Skip(30));
        var after = await silo.Client.GetAlertsAsync(stored[^1].Id, 1000);
        after.Should().NotBeEmpty("the second batch raises alerts with hub size 1");
        await output.WaitForLineStartingAsync($"{after[^1].Id} ", cts.Token);
        await cts.CancelAsync();

        (await watching.WaitAsync(Bound)).Should().Be(0);
        var ids = output.Lines.Select(l => long.Parse(l.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        ids.Should().Equal(stored.Skip(1).Concat(after).Select(a => a.Id));
    }

    [Fact]
    public async Task RemoteCommands_BadOptions_AreUsageErrors()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        (await CommandLine.InvokeAsync(["ingest", "x.jsonl", "--batch-size", "0"], output, error)).Should().Be(CommandLine.UsageError);
        (await CommandLine.InvokeAsync(["neighbours", "a", "--metric", "cosine"], output, error)).Should().Be(CommandLine.UsageError);
        (await CommandLine.InvokeAsync(["hubness", "--server", "not a url"], output, error)).Should().Be(CommandLine.UsageError);
        (await CommandLine.InvokeAsync(["watch", "--after", "-3"], output, error)).Should().Be(CommandLine.UsageError);
        (await CommandLine.InvokeAsync(["ingest"], output, error)).Should().Be(CommandLine.UsageError);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(InProcessSilo silo, Func<TextWriter, TextWriter, ClientFactory, Command> create, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var command = create(output, error, silo.Clients);
        var root = new RootCommand { command };
        using var cts = new CancellationTokenSource(Bound);
        var parse = root.Parse([command.Name, .. args]);
        parse.Errors.Should().BeEmpty();
        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cts.Token);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, IEnumerable<SongFeatures> songs)
    {
        var path = Path.Combine(_dir, name);
        using var writer = new StreamWriter(path);
        FeaturesJsonLines.Write(writer, songs);
        return path;
    }

    /// <summary>Collects written lines and lets a test wait (bounded by a token) for a line to appear.</summary>
    private sealed class SignallingWriter : StringWriter
    {
        private readonly Lock _gate = new();
        private readonly List<string> _lines = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_gate)
                {
                    return [.. _lines];
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                _lines.Add(value ?? string.Empty);
                _changed.TrySetResult();
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public async Task WaitForLineStartingAsync(string prefix, CancellationToken cancellationToken)
        {
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (_lines.Exists(l => l.StartsWith(prefix, StringComparison.Ordinal)))
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                await changed.WaitAsync(cancellationToken);
            }
        }
    }
}
